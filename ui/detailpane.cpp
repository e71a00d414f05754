#include "detailpane.h"

#include "core/connection.h"
#include "core/event.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QStringDecoder>
#include <QVBoxLayout>

namespace wsi {

namespace {
QString flagsText(quint8 flags)
{
    QStringList names;
    if (flags & FlagFin)
        names << QStringLiteral("FIN");
    if (flags & FlagRsv1)
        names << QStringLiteral("RSV1");
    if (flags & FlagRsv2)
        names << QStringLiteral("RSV2");
    if (flags & FlagRsv3)
        names << QStringLiteral("RSV3");
    if (flags & FlagMasked)
        names << DetailPane::tr("masked");
    if (flags & FlagCompressed)
        names << DetailPane::tr("compressed");
    if (flags & FlagFragment)
        names << DetailPane::tr("fragmented");
    return names.join(QStringLiteral(", "));
}

QString directionText(Direction d)
{
    switch (d) {
    case Direction::C2S:
        return DetailPane::tr("\u2192 client to server");
    case Direction::S2C:
        return DetailPane::tr("\u2190 server to client");
    case Direction::None:
        break;
    }
    return {};
}

QString byteCount(qint64 n)
{
    return DetailPane::tr("%1 bytes").arg(QLocale().toString(n));
}

bool isValidUtf8(QByteArrayView bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8);
    [[maybe_unused]] const QString ignored = decoder.decode(bytes);
    return !decoder.hasError();
}

const QString separator = QStringLiteral("  \u00b7  ");
} // namespace

DetailPane::DetailPane(QWidget* parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_info(new QLabel(this))
    , m_note(new QLabel(this))
    , m_text(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("detailPane"));
    m_header->setObjectName(QStringLiteral("detailHeader"));
    m_info->setObjectName(QStringLiteral("detailInfo"));
    m_note->setObjectName(QStringLiteral("detailNote"));
    m_text->setObjectName(QStringLiteral("detailText"));

    for (QLabel* label : { m_header, m_info, m_note }) {
        label->setTextFormat(Qt::PlainText);
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    }
    m_info->setForegroundRole(QPalette::PlaceholderText);

    m_text->setReadOnly(true);
    m_text->setUndoRedoEnabled(false);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_header);
    layout->addWidget(m_info);
    layout->addWidget(m_note);
    layout->addWidget(m_text, 1);

    clear();
}

DetailPane::~DetailPane() = default;

void DetailPane::setModel(TimelineModel* model)
{
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    clear();
    if (!model)
        return;
    // The store behind a reset model no longer has the row: showing it would read freed records.
    connect(model, &QAbstractItemModel::modelAboutToBeReset, this, &DetailPane::clear);
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this, &DetailPane::clear);
}

void DetailPane::clear()
{
    m_row = -1;
    m_header->setText(tr("No event selected"));
    m_info->hide();
    m_note->hide();
    m_text->clear();
    m_text->setPlaceholderText(tr("Select an event in the timeline to see its full content here."));
}

void DetailPane::showRow(int row)
{
    const EventStore* store = m_model ? m_model->store() : nullptr;
    if (!store || row < 0 || row >= store->count()) {
        clear();
        return;
    }
    m_row = row;

    const EventKind kind = store->kind(row);
    const Direction direction = store->direction(row);
    const QByteArrayView payload = store->payload(row);
    const quint32 connectionId = store->connectionId(row);

    // Header: what, when, where. Each part on the line that a reader scans for it.
    QString first
        = QLatin1Char('#') + QString::number(store->seq(row)) + separator + isoTimeUs(store->timestampUs(row));
    QString connection = tr("Connection %1").arg(connectionId);
    if (const Connection* c = store->connection(connectionId)) {
        connection += QStringLiteral(" (") + roleName(c->role) + QStringLiteral(") ") + c->url;
        if (!c->peer.isEmpty())
            connection += separator + tr("peer %1").arg(c->peer);
        if (!c->subprotocol.isEmpty())
            connection += separator + tr("subprotocol %1").arg(c->subprotocol);
    }
    QStringList what;
    if (direction != Direction::None)
        what << directionText(direction);
    what << kindName(kind);
    if (direction != Direction::None || !payload.isEmpty())
        what << byteCount(direction != Direction::None ? store->size(row) : payload.size());
    if (kind == EventKind::Close) {
        const quint16 code = store->closeCode(row);
        if (code == 0) {
            what << tr("no close code");
        } else {
            const QString meaning = closeCodeText(code);
            what << (meaning.isEmpty() ? tr("code %1").arg(code) : tr("code %1 (%2)").arg(code).arg(meaning));
        }
    }
    if (const QString flags = flagsText(store->flags(row)); !flags.isEmpty())
        what << flags;
    m_header->setText(first + QLatin1Char('\n') + connection + QLatin1Char('\n') + what.join(separator));

    // Body.
    QStringList info;
    bool asHex = kind == EventKind::Binary;
    if ((kind == EventKind::Ping || kind == EventKind::Pong) && !isValidUtf8(payload))
        asHex = true;
    if (asHex) {
        m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
        m_text->setPlainText(hexDump(payload));
    } else {
        const QByteArrayView shown = payload.first(std::min(payload.size(), MaxTextBytes));
        // A stateful decoder keeps a multi-byte character cut at the limit to itself instead of
        // showing it as a replacement character.
        QStringDecoder decoder(QStringDecoder::Utf8);
        QString text = decoder.decode(shown);
        if (decoder.hasError())
            info << tr("The payload is not valid UTF-8; invalid bytes are shown as \uFFFD.");
        if (shown.size() < payload.size()) {
            info << tr("Showing the first %1 of %2.")
                        .arg(QLocale().formattedDataSize(shown.size()), QLocale().formattedDataSize(payload.size()));
        }
        if (kind == EventKind::HandshakeRequest || kind == EventKind::HandshakeResponse)
            text.replace(QStringLiteral("\r\n"), QStringLiteral("\n"));
        m_text->setLineWrapMode(QPlainTextEdit::WidgetWidth);
        m_text->setPlainText(text);
    }
    m_text->setPlaceholderText(tr("(empty payload)"));
    m_info->setText(info.join(QLatin1Char('\n')));
    m_info->setVisible(!info.isEmpty());

    const QByteArrayView note = store->note(row);
    m_note->setText(tr("Note: %1").arg(QString::fromUtf8(note)));
    m_note->setVisible(!note.isEmpty());
}

QString DetailPane::hexDump(QByteArrayView data, qsizetype maxBytes)
{
    constexpr int BytesPerLine = 16;
    static constexpr char digits[] = "0123456789abcdef";
    const qsizetype shown = std::min(data.size(), maxBytes);
    QString out;
    out.reserve((shown / BytesPerLine + 2) * 80);
    for (qsizetype lineStart = 0; lineStart < shown; lineStart += BytesPerLine) {
        out += QStringLiteral("%1  ").arg(lineStart, 8, 16, QLatin1Char('0'));
        const qsizetype lineEnd = std::min(lineStart + BytesPerLine, shown);
        for (qsizetype i = lineStart; i < lineStart + BytesPerLine; ++i) {
            if (i < lineEnd) {
                const auto byte = quint8(data[i]);
                out += QLatin1Char(digits[byte >> 4]);
                out += QLatin1Char(digits[byte & 0xf]);
                out += QLatin1Char(' ');
            } else {
                out += QStringLiteral("   "); // keeps the ASCII column aligned on the last line
            }
            if (i - lineStart == BytesPerLine / 2 - 1)
                out += QLatin1Char(' ');
        }
        out += QLatin1String(" |");
        for (qsizetype i = lineStart; i < lineEnd; ++i) {
            const auto byte = quint8(data[i]);
            out += (byte >= 0x20 && byte < 0x7f) ? QLatin1Char(char(byte)) : QLatin1Char('.');
        }
        out += QLatin1String("|\n");
    }
    if (shown < data.size())
        out += tr("\u2026 %1 more bytes").arg(QLocale().toString(data.size() - shown)) + QLatin1Char('\n');
    return out;
}

QString DetailPane::isoTimeUs(qint64 timestampUs)
{
    // Floor division, so that the (rare) timestamps before 1970 still get a micro part in 0..999.
    qint64 ms = timestampUs / 1000;
    qint64 micro = timestampUs % 1000;
    if (micro < 0) {
        micro += 1000;
        --ms;
    }
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(ms);
    QString out = time.toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss.zzz"))
        + QString::number(micro).rightJustified(3, QLatin1Char('0'));
    const int offset = time.offsetFromUtc();
    if (offset == 0) {
        out += QLatin1Char('Z');
    } else {
        const int minutes = std::abs(offset) / 60;
        out += QLatin1Char(offset < 0 ? '-' : '+') + QString::number(minutes / 60).rightJustified(2, QLatin1Char('0'))
            + QLatin1Char(':') + QString::number(minutes % 60).rightJustified(2, QLatin1Char('0'));
    }
    return out;
}

} // namespace wsi
