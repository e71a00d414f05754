#include "csvexporter.h"

#include "../wire/utf8.h"
#include "timestamptext.h"

#include <QIODevice>

namespace wsi {

namespace {

// "2026-11-30T12:00:00.123456Z"
QByteArray isoTime(qint64 us)
{
    return utcTimestampText(us, u"yyyy-MM-dd'T'HH:mm:ss", 6) + 'Z';
}

QByteArray flagList(quint8 flags)
{
    static constexpr std::pair<quint8, const char*> names[]
        = { { FlagFin, "fin" }, { FlagRsv1, "rsv1" }, { FlagRsv2, "rsv2" }, { FlagRsv3, "rsv3" },
              { FlagMasked, "masked" }, { FlagCompressed, "compressed" }, { FlagFragment, "fragment" } };
    QByteArray out;
    for (const auto& [flag, name] : names) {
        if (!(flags & flag))
            continue;
        if (!out.isEmpty())
            out += ' ';
        out += name;
    }
    return out;
}

} // namespace

CsvExporter::CsvExporter(QIODevice* out, const ExportOptions& options)
    : SessionExporter(out, options)
{
    m_buffer = headerRow();
}

QByteArray CsvExporter::headerRow()
{
    return QByteArrayLiteral(
        "seq,time,timestamp_us,connection,url,direction,kind,size,close_code,flags,encoding,data,note\r\n");
}

void CsvExporter::appendField(QByteArray& out, QByteArrayView value)
{
    bool quote = false;
    for (const char c : value) {
        if (c == ',' || c == '"' || c == '\r' || c == '\n') {
            quote = true;
            break;
        }
    }
    if (!quote) {
        out.append(value);
        return;
    }
    out += '"';
    qsizetype from = 0;
    for (qsizetype i = 0; i < value.size(); ++i) {
        if (value[i] == '"') {
            out.append(value.sliced(from, i + 1 - from));
            out += '"';
            from = i + 1;
        }
    }
    out.append(value.sliced(from));
    out += '"';
}

void CsvExporter::writeConnection(const Connection& c)
{
    m_urls.insert(c.id, c.url.toUtf8());
}

void CsvExporter::writeEvent(const Event& e)
{
    QByteArray& out = m_buffer;
    out += QByteArray::number(e.seq);
    out += ',';
    out += isoTime(e.timestampUs);
    out += ',';
    out += QByteArray::number(e.timestampUs);
    out += ',';
    out += QByteArray::number(e.connection);
    out += ',';
    appendField(out, m_urls.value(e.connection));
    out += ',';
    out += directionName(e.direction).toLatin1();
    out += ',';
    out += kindName(e.kind).toLatin1();
    out += ',';
    out += QByteArray::number(e.size);
    out += ',';
    if (e.closeCode != 0)
        out += QByteArray::number(e.closeCode);
    out += ',';
    out += flagList(e.flags);
    out += ',';
    // Binary messages are bytes even when they happen to be valid UTF-8; everything else is text if it can be.
    const bool text = e.kind != EventKind::Binary && isValidUtf8(e.payload);
    out += text ? "text," : "base64,";
    appendField(out, text ? QByteArrayView(e.payload) : QByteArrayView(e.payload.toBase64()));
    out += ',';
    // A note is UTF-8 by contract; one that is not cannot say more than its readable part.
    appendField(out, isValidUtf8(e.note) ? e.note : QString::fromUtf8(e.note).toUtf8());
    out += "\r\n";
    if (out.size() >= 1024 * 1024)
        flush();
}

void CsvExporter::writeEnd()
{
    flush();
}

void CsvExporter::flush()
{
    device()->write(m_buffer);
    m_buffer.clear();
}

} // namespace wsi
