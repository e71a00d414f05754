#include "ratechart.h"

#include "timelinedelegate.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace wsi {

namespace {
// The timeline's hues for the two directions, so that a colour means the same thing everywhere.
constexpr int C2SHue = 130;
constexpr int S2CHue = 210;
constexpr int XTickEverySeconds = 15;
constexpr int Padding = 6;

double niceStep(double range, int maxTicks)
{
    if (range <= 0 || maxTicks < 1)
        return 1;
    const double raw = range / maxTicks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double normalised = raw / magnitude;
    const double nice = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 2.5 ? 2.5 : normalised <= 5 ? 5 : 10;
    return nice * magnitude;
}

double lineWidth(int direction)
{
    return direction == SessionStatistics::C2S ? 2.4 : 1.4;
}

QColor seriesColour(const QPalette& palette, int direction)
{
    return TimelineDelegate::accentColor(palette, direction == SessionStatistics::C2S ? C2SHue : S2CHue);
}
} // namespace

RateChart::RateChart(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("rateChart"));
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    // An empty window until the first refresh, so that the axes are there from the start.
    m_buckets.resize(SessionStatistics::WindowSeconds);
    const qint64 end = SessionStatistics::secondOf(nowUs());
    for (int i = 0; i < SessionStatistics::WindowSeconds; ++i)
        m_buckets[size_t(i)].second = end - SessionStatistics::WindowSeconds + 1 + i;
}

RateChart::~RateChart() = default;

void RateChart::setMetric(Metric metric)
{
    if (m_metric == metric)
        return;
    m_metric = metric;
    update();
}

void RateChart::setWindow(std::vector<SessionStatistics::Bucket> buckets, bool live, bool hasEvents)
{
    m_buckets = std::move(buckets);
    m_live = live;
    m_hasEvents = hasEvents;
    if (m_hover >= int(m_buckets.size()))
        m_hover = -1;
    update();
}

qint64 RateChart::value(const SessionStatistics::Bucket& bucket, int direction) const
{
    const SessionStatistics::Traffic& t = bucket.traffic[size_t(direction)];
    return m_metric == Metric::Messages ? t.messages : t.bytes;
}

QSize RateChart::sizeHint() const
{
    return { 420, 200 };
}

QSize RateChart::minimumSizeHint() const
{
    const QFontMetrics fm = fontMetrics();
    return { fm.horizontalAdvance(QLatin1Char('8')) * 30, fm.height() * 7 };
}

RateChart::Scale RateChart::scaleFor(qint64 maxValue, int plotHeight) const
{
    Scale s;
    // About one labelled line every 2.5 text lines, at least two, so labels never collide.
    const int maxTicks = std::clamp(plotHeight / std::max(1, fontMetrics().height() * 5 / 2), 2, 6);
    if (m_metric == Metric::Bytes) {
        static const char* const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        int k = 0;
        while (k < 4 && double(maxValue) >= 1024.0 * std::pow(1024.0, k))
            ++k;
        s.unit = std::pow(1024.0, k);
        s.unitName = QString::fromLatin1(units[k]);
    }
    const double scaled = std::max(1.0, double(maxValue) / s.unit);
    s.step = niceStep(scaled, maxTicks);
    // Whole messages and whole bytes: no ticks between integers.
    if (s.unit == 1)
        s.step = std::max(1.0, std::round(s.step));
    s.max = std::ceil(scaled / s.step) * s.step;
    s.step *= s.unit;
    s.max *= s.unit;
    return s;
}

QString RateChart::tickText(double value, const Scale& scale) const
{
    if (value == 0)
        return QStringLiteral("0"); // "0 KiB" says nothing that "0" does not
    const QLocale locale;
    const double shown = value / scale.unit;
    const double stepShown = scale.step / scale.unit;
    const int decimals = stepShown >= 1 ? 0 : stepShown >= 0.1 ? 1 : 2;
    QString text = locale.toString(shown, 'f', decimals);
    if (m_metric == Metric::Bytes)
        text += QLatin1Char(' ') + scale.unitName;
    return text;
}

QRect RateChart::plotRect() const
{
    const QFontMetrics fm = fontMetrics();
    const int top = Padding + fm.height() + Padding; // legend
    const int bottom = fm.height() + Padding * 2; // x tick labels
    qint64 maxValue = 0;
    for (const auto& b : m_buckets)
        maxValue = std::max({ maxValue, value(b, SessionStatistics::C2S), value(b, SessionStatistics::S2C) });
    const Scale scale = scaleFor(maxValue, height() - top - bottom);
    int labelWidth = 0;
    for (double v = 0; v <= scale.max + scale.step / 2; v += scale.step)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(tickText(v, scale)));
    const int left = Padding + labelWidth + Padding;
    // Room on the right for half of the last x label ("now" or a clock time), which is centred on the edge.
    const int right = Padding + fm.horizontalAdvance(QStringLiteral("00:00:00")) / 2;
    return QRect(QPoint(left, top), QPoint(width() - right, height() - bottom));
}

int RateChart::bucketAt(QPoint pos) const
{
    const QRect plot = plotRect();
    if (m_buckets.empty() || plot.width() <= 0 || !plot.adjusted(0, 0, 1, 1).contains(pos))
        return -1;
    const int index = int(double(pos.x() - plot.left()) * double(m_buckets.size()) / double(plot.width() + 1));
    return std::clamp(index, 0, int(m_buckets.size()) - 1);
}

QString RateChart::bucketText(int index) const
{
    if (index < 0 || index >= int(m_buckets.size()))
        return {};
    const auto& b = m_buckets[size_t(index)];
    const QLocale locale;
    const QString time = QDateTime::fromSecsSinceEpoch(b.second).toString(QStringLiteral("HH:mm:ss"));
    const int before = int(m_buckets.size()) - 1 - index;
    auto line = [&](int direction) {
        const auto& t = b.traffic[size_t(direction)];
        const QString arrow = direction == SessionStatistics::C2S ? tr("\u2192 c2s") : tr("\u2190 s2c");
        return tr("%1: %2 messages, %3").arg(arrow, locale.toString(t.messages), locale.formattedDataSize(t.bytes));
    };
    const QString when = before == 0
        ? (m_live ? tr("%1 (this second)").arg(time) : tr("%1 (last second recorded)").arg(time))
        : tr("%1 (%2 s before)").arg(time).arg(before);
    return when + QLatin1Char('\n') + line(SessionStatistics::C2S) + QLatin1Char('\n') + line(SessionStatistics::S2C);
}

void RateChart::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette& pal = palette();
    const QFontMetrics fm = fontMetrics();
    const QRect plot = plotRect();
    if (plot.width() < 10 || plot.height() < 10)
        return;

    qint64 maxValue = 0;
    for (const auto& b : m_buckets)
        maxValue = std::max({ maxValue, value(b, SessionStatistics::C2S), value(b, SessionStatistics::S2C) });
    const Scale scale = scaleFor(maxValue, plot.height());

    // Plot area on the base colour, like the timeline beside it; grid in a faint text colour.
    p.fillRect(plot, pal.color(QPalette::Base));
    QColor grid = pal.color(QPalette::Text);
    grid.setAlphaF(0.12f);
    QColor axisText = pal.color(QPalette::WindowText);
    QColor muted = axisText;
    muted.setAlphaF(0.7f);

    auto yOf = [&](double v) { return plot.bottom() - (v / scale.max) * plot.height(); };
    p.setFont(font());
    for (double v = 0; v <= scale.max + scale.step / 2; v += scale.step) {
        const int y = int(std::lround(yOf(v)));
        p.setPen(grid);
        p.drawLine(plot.left(), y, plot.right(), y);
        p.setPen(muted);
        const QString text = tickText(v, scale);
        const QRect label(Padding, y - fm.height() / 2, plot.left() - 2 * Padding, fm.height());
        p.drawText(label, Qt::AlignRight | Qt::AlignVCenter, text);
    }

    // x axis: seconds before the end of the window; the end itself says "now" or when the recording ended.
    const int n = int(m_buckets.size());
    const double perSecond = n > 0 ? double(plot.width()) / n : 0;
    for (int s = n; s >= 0; s -= XTickEverySeconds) {
        const int x = int(std::lround(plot.right() - s * perSecond));
        p.setPen(grid);
        p.drawLine(x, plot.top(), x, plot.bottom() + 3);
        QString text;
        if (s == 0) {
            text = m_live || m_buckets.empty()
                ? tr("now")
                : QDateTime::fromSecsSinceEpoch(m_buckets.back().second + 1).toString(QStringLiteral("HH:mm:ss"));
        } else {
            text = tr("\u2212%1 s").arg(s);
        }
        const int w = fm.horizontalAdvance(text);
        p.setPen(muted);
        p.drawText(QRect(x - w / 2, plot.bottom() + Padding, w, fm.height()), Qt::AlignCenter, text);
    }
    p.setPen(QPen(pal.color(QPalette::Mid), 1));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.topLeft(), plot.bottomLeft());

    // Legend: what is plotted, the two series, and what the window is.
    {
        int x = plot.left();
        const int y = Padding;
        const QString metricText = m_metric == Metric::Messages ? tr("messages/s") : tr("bytes/s");
        p.setPen(axisText);
        QFont bold = font();
        bold.setBold(true);
        p.setFont(bold);
        p.drawText(
            QRect(x, y, QFontMetrics(bold).horizontalAdvance(metricText) + 1, fm.height()), Qt::AlignLeft, metricText);
        x += QFontMetrics(bold).horizontalAdvance(metricText) + fm.height();
        p.setFont(font());
        for (int d : { int(SessionStatistics::C2S), int(SessionStatistics::S2C) }) {
            const QColor colour = seriesColour(pal, d);
            const int thickness = int(std::lround(lineWidth(d) + 0.5));
            p.fillRect(QRect(x, y + (fm.height() - thickness) / 2, fm.height(), thickness), colour);
            x += fm.height() + 4;
            const QString name = d == SessionStatistics::C2S ? tr("\u2192 c2s") : tr("\u2190 s2c");
            p.setPen(axisText);
            p.drawText(QRect(x, y, fm.horizontalAdvance(name) + 1, fm.height()), Qt::AlignLeft, name);
            x += fm.horizontalAdvance(name) + fm.height();
        }
        const QString window = m_live ? tr("last 60 s") : tr("last 60 s of the recording");
        const int w = fm.horizontalAdvance(window);
        if (x + w <= plot.right()) {
            p.setPen(muted);
            p.drawText(QRect(plot.right() - w, y, w + 1, fm.height()), Qt::AlignRight, window);
        }
    }

    if (!m_hasEvents) {
        p.setPen(muted);
        p.drawText(plot, Qt::AlignCenter, tr("No traffic yet"));
        return;
    }

    // The series: one point per second at its middle, a line with a faint area below it.
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setClipRect(plot.adjusted(0, -2, 1, 1));
    // An echo server makes both lines identical: the client-to-server line is drawn wide and the other thin
    // on top of it, so that either stays visible where they coincide.
    for (int d : { int(SessionStatistics::C2S), int(SessionStatistics::S2C) }) {
        const QColor colour = seriesColour(pal, d);
        QPainterPath line;
        for (int i = 0; i < n; ++i) {
            const QPointF point(plot.left() + (i + 0.5) * perSecond, yOf(double(value(m_buckets[size_t(i)], d))));
            if (i == 0)
                line.moveTo(point);
            else
                line.lineTo(point);
        }
        QPainterPath area = line;
        area.lineTo(plot.left() + (n - 0.5) * perSecond, plot.bottom());
        area.lineTo(plot.left() + 0.5 * perSecond, plot.bottom());
        area.closeSubpath();
        QColor fill = colour;
        fill.setAlphaF(0.12f);
        p.fillPath(area, fill);
        p.strokePath(line, QPen(colour, lineWidth(d), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    }

    if (m_hover >= 0 && m_hover < n) {
        const double x = plot.left() + (m_hover + 0.5) * perSecond;
        QColor cursor = pal.color(QPalette::Text);
        cursor.setAlphaF(0.35f);
        p.setPen(QPen(cursor, 1, Qt::DashLine));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        for (int d : { int(SessionStatistics::C2S), int(SessionStatistics::S2C) }) {
            p.setPen(QPen(pal.color(QPalette::Base), 1));
            p.setBrush(seriesColour(pal, d));
            p.drawEllipse(QPointF(x, yOf(double(value(m_buckets[size_t(m_hover)], d)))), 3.5, 3.5);
        }
    }
}

void RateChart::mouseMoveEvent(QMouseEvent* event)
{
    const int index = bucketAt(event->position().toPoint());
    if (index != m_hover) {
        m_hover = index;
        update();
        if (index >= 0)
            QToolTip::showText(event->globalPosition().toPoint(), bucketText(index), this);
        else
            QToolTip::hideText();
    }
    QWidget::mouseMoveEvent(event);
}

void RateChart::leaveEvent(QEvent* event)
{
    if (m_hover >= 0) {
        m_hover = -1;
        update();
    }
    QWidget::leaveEvent(event);
}

bool RateChart::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int index = bucketAt(help->pos());
        if (index >= 0)
            QToolTip::showText(help->globalPos(), bucketText(index), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace wsi
