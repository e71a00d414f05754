#pragma once

#include "core/jsonformat.h"

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

#include <array>

namespace wsi {

/*
 * Colours pretty-printed JSON: keys, strings, numbers, keywords (true/false/null) and punctuation, each
 * from the palette (hues made readable on its base colour), so light and dark themes both work. Each line
 * is lexed on its own with JsonFormatter::tokenize; pretty-printed JSON never carries a token across lines,
 * so the highlighter keeps no state between blocks and nesting depth does not matter.
 */
class JsonHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonHighlighter)

public:
    explicit JsonHighlighter(QTextDocument* document);
    ~JsonHighlighter() override;

    // Recomputes the colours for this palette; call on a palette change (rehighlights when they differ).
    void setPalette(const QPalette& palette);
    QTextCharFormat formatFor(JsonTokenType type) const { return m_formats[size_t(type)]; }

protected:
    void highlightBlock(const QString& text) override;

private:
    std::array<QTextCharFormat, size_t(JsonTokenType::Invalid) + 1> m_formats;
};

} // namespace wsi
