#pragma once

#include <QStyledItemDelegate>

#include <array>

namespace wsi {

/*
 * Paints timeline rows in colours that say what happened at a glance: the direction arrow green-ish for
 * client-to-server and blue-ish for server-to-client, pings and pongs violet, errors on a red-tinted row in
 * red, close frames on an amber-tinted row in bold amber, closed rows amber, and the bookkeeping rows
 * (handshakes, open, notes) muted. Colours are derived from the view's palette at paint time, so they stay
 * readable on light and dark themes and follow a theme change without a restart.
 */
class TimelineDelegate : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineDelegate)

public:
    explicit TimelineDelegate(QObject* parent = nullptr);
    ~TimelineDelegate() override;

    // A readable text colour of the given hue (0-359) on the palette's base colour.
    static QColor accentColor(const QPalette& palette, int hue);
    // The base colour with a little of the given hue mixed in: a row background that still reads as base.
    static QColor tintColor(const QPalette& palette, int hue);
    // WCAG 2 contrast ratio, 1 (same luminance) to 21 (black on white).
    static double contrastRatio(const QColor& a, const QColor& b);

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;

private:
    enum Accent {
        Green,
        Blue,
        Red,
        Amber,
        Violet,
        RedOnTint, // text on the error tint
        AmberOnTint, // text on the close tint
        AccentCount
    };
    void updateColours(const QPalette& palette) const;

    // Painting asks for these per cell; they are only worth recomputing for a new palette.
    mutable QColor m_cachedBase;
    mutable std::array<QColor, AccentCount> m_accents;
    mutable QColor m_errorTint;
    mutable QColor m_closeTint;
};

} // namespace wsi
