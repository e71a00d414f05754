#include "jsonhighlighter.h"

#include "timelinedelegate.h"

#include <QGuiApplication>
#include <QPalette>

namespace wsi {

JsonHighlighter::JsonHighlighter(QTextDocument* document)
    : QSyntaxHighlighter(document)
{
    setPalette(QGuiApplication::palette());
}

JsonHighlighter::~JsonHighlighter() = default;

void JsonHighlighter::setPalette(const QPalette& palette)
{
    // The same contrast-checked accents as the timeline, so the colours mean alike across the window.
    std::array<QTextCharFormat, size_t(JsonTokenType::Invalid) + 1> formats;
    formats[size_t(JsonTokenType::Key)].setForeground(TimelineDelegate::accentColor(palette, 210));
    formats[size_t(JsonTokenType::String)].setForeground(TimelineDelegate::accentColor(palette, 130));
    formats[size_t(JsonTokenType::Number)].setForeground(TimelineDelegate::accentColor(palette, 30));
    formats[size_t(JsonTokenType::Keyword)].setForeground(TimelineDelegate::accentColor(palette, 290));
    formats[size_t(JsonTokenType::Keyword)].setFontWeight(QFont::Bold);
    formats[size_t(JsonTokenType::Punctuation)].setForeground(palette.color(QPalette::PlaceholderText));
    formats[size_t(JsonTokenType::Invalid)].setForeground(TimelineDelegate::accentColor(palette, 0));
    formats[size_t(JsonTokenType::Invalid)].setFontUnderline(true);
    if (formats == m_formats)
        return;
    m_formats = formats;
    if (document() && !document()->isEmpty())
        rehighlight();
}

void JsonHighlighter::highlightBlock(const QString& text)
{
    for (const JsonToken& token : JsonFormatter::tokenize(text))
        setFormat(int(token.offset), int(token.length), m_formats[size_t(token.type)]);
}

} // namespace wsi
