#include "timelinedelegate.h"

#include "core/event.h"
#include "core/timelinemodel.h"

#include <QPalette>
#include <QStyle>

#include <algorithm>
#include <cmath>

namespace wsi {

namespace {
constexpr int RedHue = 0;
constexpr int AmberHue = 35;
constexpr int accentHues[] = { 130, 210, RedHue, AmberHue, 280 }; // TimelineDelegate::Accent order, to Violet
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

QColor TimelineDelegate::tintColor(const QPalette& palette, int hue)
{
    // Dark bases need more of the hue to show at all; light ones turn garish quickly.
    const QColor base = palette.color(QPalette::Base);
    const bool darkBase = base.lightness() < 128;
    const double amount = darkBase ? 0.2 : 0.13;
    const QColor hueColour = QColor::fromHsl(hue, 220, 128);
    auto mix = [amount](float a, float b) { return a * (1.0 - amount) + b * amount; };
    return QColor::fromRgbF(float(mix(base.redF(), hueColour.redF())), float(mix(base.greenF(), hueColour.greenF())),
        float(mix(base.blueF(), hueColour.blueF())));
}

void TimelineDelegate::updateColours(const QPalette& palette) const
{
    const QColor base = palette.color(QPalette::Base);
    if (base == m_cachedBase && m_accents[0].isValid())
        return;
    m_cachedBase = base;
    for (size_t i = 0; i < std::size(accentHues); ++i)
        m_accents[i] = accentColor(palette, accentHues[i]);
    m_errorTint = tintColor(palette, RedHue);
    m_closeTint = tintColor(palette, AmberHue);
    // Text on a tinted row has to meet the contrast on the tint, not on the plain base.
    QPalette tinted = palette;
    tinted.setColor(QPalette::Base, m_errorTint);
    m_accents[RedOnTint] = accentColor(tinted, RedHue);
    tinted.setColor(QPalette::Base, m_closeTint);
    m_accents[AmberOnTint] = accentColor(tinted, AmberHue);
}

void TimelineDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const
{
    QStyledItemDelegate::initStyleOption(option, index);

    // Text colour and background only: selected rows are drawn with Highlight/HighlightedText, which the
    // style keeps readable, and the tint would hide the selection.
    const auto kind = EventKind(index.data(TimelineModel::KindRole).toInt());
    const auto direction = Direction(index.data(TimelineModel::DirectionRole).toInt());
    const int column = index.column();
    QPalette& palette = option->palette;
    updateColours(palette);
    // A selected row shows the selection colour only; a tint under it shows through empty cells.
    const bool selected = option->state & QStyle::State_Selected;
    // Rows are selected whole; a focus frame around one cell of the row would only look like a glitch.
    option->state &= ~QStyle::State_HasFocus;

    switch (kind) {
    case EventKind::Error:
        if (!selected)
            option->backgroundBrush = m_errorTint;
        palette.setColor(QPalette::Text, m_accents[RedOnTint]);
        if (column == TimelineModel::KindColumn)
            option->font.setBold(true);
        return;
    case EventKind::Close:
        if (!selected)
            option->backgroundBrush = m_closeTint;
        palette.setColor(QPalette::Text, m_accents[AmberOnTint]);
        option->font.setBold(true);
        return;
    case EventKind::Closed:
        // How a connection ended matters more than how it began: amber, but no tint (the close frame has it).
        palette.setColor(QPalette::Text, m_accents[Amber]);
        return;
    case EventKind::Open:
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
    case EventKind::Note:
        palette.setColor(QPalette::Text, palette.color(QPalette::PlaceholderText));
        return;
    case EventKind::Ping:
    case EventKind::Pong:
        if (column == TimelineModel::KindColumn) {
            palette.setColor(QPalette::Text, m_accents[Violet]);
            return;
        }
        break;
    case EventKind::Text:
    case EventKind::Binary:
        break;
    }

    // Data frames: colour the arrow and the kind so the eye can follow a conversation; the payload stays in
    // the normal text colour, which reads best.
    if (column != TimelineModel::DirectionColumn && column != TimelineModel::KindColumn)
        return;
    if (direction == Direction::C2S)
        palette.setColor(QPalette::Text, m_accents[Green]);
    else if (direction == Direction::S2C)
        palette.setColor(QPalette::Text, m_accents[Blue]);
}

} // namespace wsi
