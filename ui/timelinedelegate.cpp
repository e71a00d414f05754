#include "timelinedelegate.h"

#include "core/event.h"
#include "core/timelinemodel.h"

#include <QPalette>

#include <algorithm>
#include <cmath>

namespace wsi {

namespace {
constexpr int accentHues[] = { 130, 210, 0, 35 }; // green, blue, red, amber: TimelineDelegate::Accent order
} // namespace

TimelineDelegate::TimelineDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
{ }

TimelineDelegate::~TimelineDelegate() = default;

QColor TimelineDelegate::accentColor(const QPalette& palette, int hue)
{
    // A fixed colour is unreadable on one of the two themes. Keep the hue, start from a tone that suits the
    // kind of background, then move away from the background until the text meets the WCAG AA contrast
    // (4.5:1): hues differ a lot in how light they look (green reads much lighter than blue).
    const QColor base = palette.color(QPalette::Base);
    const bool darkBase = base.lightness() < 128;
    const int saturation = darkBase ? 150 : 200;
    int lightness = darkBase ? 170 : 72;
    QColor colour = QColor::fromHsl(hue, saturation, lightness);
    while (contrastRatio(colour, base) < 4.5 && lightness > 0 && lightness < 255) {
        lightness = std::clamp(lightness + (darkBase ? 8 : -8), 0, 255);
        colour = QColor::fromHsl(hue, saturation, lightness);
    }
    return colour;
}

double TimelineDelegate::contrastRatio(const QColor& a, const QColor& b)
{
    auto luminance = [](const QColor& c) {
        auto channel = [](float v) { return v <= 0.03928f ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
    };
    const double la = luminance(a);
    const double lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

void TimelineDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const
{
    QStyledItemDelegate::initStyleOption(option, index);

    // Only the Text role is changed: selected rows are drawn with HighlightedText, which the style already
    // keeps readable on the highlight colour.
    const auto kind = EventKind(index.data(TimelineModel::KindRole).toInt());
    const auto direction = Direction(index.data(TimelineModel::DirectionRole).toInt());
    const int column = index.column();
    QPalette& palette = option->palette;
    auto accent = [&](Accent which) -> QColor {
        // Painting asks for these per cell; the search in accentColor is only worth redoing for a new palette.
        if (palette.color(QPalette::Base) != m_cachedBase || !m_accents[0].isValid()) {
            m_cachedBase = palette.color(QPalette::Base);
            for (int i = 0; i < AccentCount; ++i)
                m_accents[i] = accentColor(palette, accentHues[i]);
        }
        return m_accents[which];
    };

    switch (kind) {
    case EventKind::Error:
        palette.setColor(QPalette::Text, accent(Red));
        return;
    case EventKind::Close:
        palette.setColor(QPalette::Text, accent(Amber));
        option->font.setBold(true);
        return;
    case EventKind::Open:
    case EventKind::Closed:
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
    case EventKind::Note:
        palette.setColor(QPalette::Text, palette.color(QPalette::PlaceholderText));
        return;
    case EventKind::Text:
    case EventKind::Binary:
    case EventKind::Ping:
    case EventKind::Pong:
        break;
    }

    // Data frames: colour the arrow and the kind so the eye can follow a conversation; the payload stays in
    // the normal text colour, which reads best.
    if (column != TimelineModel::DirectionColumn && column != TimelineModel::KindColumn)
        return;
    if (direction == Direction::C2S)
        palette.setColor(QPalette::Text, accent(Green));
    else if (direction == Direction::S2C)
        palette.setColor(QPalette::Text, accent(Blue));
}

} // namespace wsi
