#pragma once

#include <QPointer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;

namespace wsi {

class TimelineModel;

/*
 * Everything about one timeline row: a header (sequence number, time to the microsecond, connection,
 * direction, kind, size, close code, frame flags), the whole payload in a read-only monospace editor (text
 * as text, binary as a hex dump, handshakes as their HTTP head) and the event's note. Very large payloads
 * are cut (1 MiB of text, 64 KiB of hex) so that selecting a row never stalls the window.
 */
class DetailPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DetailPane)

public:
    static constexpr qsizetype MaxTextBytes = qsizetype(1) << 20;
    static constexpr qsizetype MaxHexBytes = qsizetype(64) << 10;

    explicit DetailPane(QWidget* parent = nullptr);
    ~DetailPane() override;

    void setModel(TimelineModel* model);
    int row() const { return m_row; }

    // Hex dump with offsets and an ASCII column, at most maxBytes, then a line saying how many were left out.
    static QString hexDump(QByteArrayView data, qsizetype maxBytes = MaxHexBytes);
    // ISO 8601 local time with microseconds and the UTC offset, e.g. 2026-11-22T10:00:00.123456+01:00.
    static QString isoTimeUs(qint64 timestampUs);

public Q_SLOTS:
    void showRow(int row); // -1 or an invalid row clears the pane
    void clear();

private:
    QPointer<TimelineModel> m_model;
    int m_row = -1;
    QLabel* m_header;
    QLabel* m_info;
    QLabel* m_note;
    QPlainTextEdit* m_text;
};

} // namespace wsi
