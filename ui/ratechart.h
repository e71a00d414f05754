#pragma once

#include "core/sessionstatistics.h"

#include <QWidget>

#include <vector>

namespace wsi {

/*
 * A lean line chart of the last 60 one-second buckets of a SessionStatistics: client-to-server and
 * server-to-client as two lines (the timeline's green and blue, derived from the palette so both themes read),
 * a y axis with round tick values, an x axis in seconds before the window's end, a legend, and the figures of
 * the second under the mouse in a tooltip. It paints only what it was last given (setWindow), so its owner
 * decides how often it changes; painting 60 points costs next to nothing.
 */
class RateChart : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RateChart)

public:
    enum class Metric {
        Messages,
        Bytes,
    };

    explicit RateChart(QWidget* parent = nullptr);
    ~RateChart() override;

    Metric metric() const { return m_metric; }
    void setMetric(Metric metric);

    // The buckets to show, oldest first. live: the window ends now (x axis reads "now"); otherwise it ends at
    // the last event of a recording, whose clock time is shown.
    void setWindow(std::vector<SessionStatistics::Bucket> buckets, bool live, bool hasEvents);
    const std::vector<SessionStatistics::Bucket>& buckets() const { return m_buckets; }

    // The value the chart plots for one bucket and direction.
    qint64 value(const SessionStatistics::Bucket& bucket, int direction) const;
    // Text for the bucket under the mouse, also used by the tooltip.
    QString bucketText(int index) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Scale
    {
        double max = 1; // top of the y axis
        double step = 1; // between ticks
        double unit = 1; // bytes per displayed unit (1, 1024, ...)
        QString unitName;
    };
    Scale scaleFor(qint64 maxValue, int plotHeight) const;
    QString tickText(double value, const Scale& scale) const;
    QRect plotRect() const;
    int bucketAt(QPoint pos) const;

    Metric m_metric = Metric::Messages;
    std::vector<SessionStatistics::Bucket> m_buckets;
    bool m_live = true;
    bool m_hasEvents = false;
    int m_hover = -1;
};

} // namespace wsi
