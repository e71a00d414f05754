#include "textexporter.h"

#include "../core/hexdump.h"
#include "../wire/utf8.h"
#include "timestamptext.h"

#include <QDateTime>
#include <QIODevice>
#include <QTemporaryFile>

namespace wsi {

namespace {

constexpr qsizetype SpillAt = 8 * 1024 * 1024;

// Control characters other than tab made visible, as the timeline shows them, so that a payload cannot
// break the layout (a lone CR would overwrite the line in a terminal).
void appendVisible(QByteArray& out, QByteArrayView line)
{
    static constexpr char digits[] = "0123456789abcdef";
    for (const char c : line) {
        const auto u = uchar(c);
        if (u == '\t' || (u >= 0x20 && u != 0x7f)) {
            out += c;
        } else if (u == '\r') {
            out += "\\r";
        } else {
            out += "\\x";
            out += digits[u >> 4];
            out += digits[u & 0xf];
        }
    }
}

// Lines of text (LF or CRLF ends) as continuation lines; the first goes on the event's own line.
void appendTextLines(QByteArray& out, QByteArrayView text)
{
    qsizetype start = 0;
    bool first = true;
    while (true) {
        qsizetype end = text.indexOf('\n', start);
        const bool last = end < 0;
        if (last)
            end = text.size();
        QByteArrayView line = text.sliced(start, end - start);
        if (!last && line.endsWith('\r'))
            line.chop(1);
        if (!first)
            out += TextExporter::Indent.latin1();
        appendVisible(out, line);
        out += '\n';
        first = false;
        if (last)
            break;
        start = end + 1;
    }
}

void appendIndented(QByteArray& out, const QString& lines)
{
    for (const QStringView line : QStringView(lines).split(u'\n', Qt::SkipEmptyParts)) {
        out += TextExporter::Indent.latin1();
        out += line.toUtf8();
        out += '\n';
    }
}

QByteArray closeText(quint16 code, QByteArrayView reason)
{
    QByteArray out = code ? QByteArray::number(code) : QByteArrayLiteral("(no code)");
    if (const QString meaning = closeCodeText(code); !meaning.isEmpty())
        out += ' ' + meaning.toUtf8();
    if (!reason.isEmpty())
        out += ": ";
    return out;
}

} // namespace

TextExporter::TextExporter(QIODevice* out, const ExportOptions& options)
    : SessionExporter(out, options)
    , m_created(QDateTime::currentDateTimeUtc())
{ }

TextExporter::~TextExporter() = default;

QByteArray TextExporter::timeText(qint64 timestampUs)
{
    return utcTimestampText(timestampUs, u"yyyy-MM-dd HH:mm:ss", 6);
}

QByteArray TextExporter::eventLines(const Event& e)
{
    QByteArray out = timeText(e.timestampUs);
    out += "  #" + QByteArray::number(e.connection) + "  ";
    out += e.isFrame() ? directionName(e.direction).toLatin1() : QByteArrayLiteral("   ");
    out += "  ";
    const QByteArray kind = kindName(e.kind).toLatin1();
    if (e.isFrame()) {
        // Frames line up their sizes; other kinds have none and may use the room ("handshake-response").
        out += kind.leftJustified(8, ' ');
        out += QByteArray(QByteArray::number(e.size) + " B").rightJustified(11, ' ');
    } else {
        out += kind.leftJustified(19, ' ');
    }
    out += "  ";

    const QByteArrayView payload = e.payload;
    switch (e.kind) {
    case EventKind::Text:
        if (isValidUtf8(payload)) {
            appendTextLines(out, payload);
        } else {
            out += "(not valid UTF-8)\n";
            appendIndented(out, HexDump::dump(payload, MaxHexDumpBytes));
        }
        break;
    case EventKind::Binary:
        out += '\n';
        appendIndented(out, HexDump::dump(payload, MaxHexDumpBytes));
        break;
    case EventKind::Close:
        out += closeText(e.closeCode, payload);
        appendTextLines(out, isValidUtf8(payload) ? payload.toByteArray() : payload.toByteArray().toHex(' '));
        break;
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse: {
        // The start line here, the headers below; the blank line that ends the head is left out.
        const QByteArray head = isValidUtf8(payload) ? payload.toByteArray() : QString::fromLatin1(payload).toUtf8();
        QByteArrayView rest = head;
        while (rest.endsWith('\n') || rest.endsWith('\r'))
            rest.chop(1);
        appendTextLines(out, rest);
        break;
    }
    case EventKind::Ping:
    case EventKind::Pong:
    case EventKind::Open:
    case EventKind::Closed:
    case EventKind::Error:
    case EventKind::Note:
        // Short texts: one line, as the timeline shows them (a ping's payload in hex when it is not text).
        out += eventPreview(e.kind, e.closeCode, payload, 1 << 20).toUtf8();
        out += '\n';
        break;
    }
    // Trailing blanks left by an empty content column.
    const qsizetype firstEnd = out.indexOf('\n');
    qsizetype blanks = 0;
    while (firstEnd - blanks > 0 && out.at(firstEnd - blanks - 1) == ' ')
        ++blanks;
    out.remove(firstEnd - blanks, blanks);

    if (!e.note.isEmpty()) {
        out += Indent.latin1();
        out += "note: ";
        appendTextLines(out, QString::fromUtf8(e.note).toUtf8());
    }
    return out;
}

void TextExporter::writeConnection(const Connection& c)
{
    if (const auto it = m_connectionIndex.constFind(c.id); it != m_connectionIndex.cend()) {
        m_connections[*it] = c;
        return;
    }
    m_connectionIndex.insert(c.id, m_connections.size());
    m_connections.append(c);
}

void TextExporter::writeEvent(const Event& e)
{
    m_body += eventLines(e);
    ++m_events;
    spillIfFull();
}

void TextExporter::spillIfFull()
{
    if (m_body.size() < SpillAt || m_spillFailed)
        return;
    if (!m_spill) {
        m_spill = std::make_unique<QTemporaryFile>();
        if (!m_spill->open()) {
            // Then the whole log stays in memory: slower for a huge session, but nothing is lost.
            m_spillFailed = true;
            m_spill.reset();
            return;
        }
    }
    const qint64 before = m_spill->size();
    if (m_spill->write(m_body) != m_body.size()) {
        // Keep the lines in memory from here on, without the part that did get written.
        m_spill->resize(before);
        m_spillFailed = true;
        return;
    }
    m_body.clear();
}

void TextExporter::writeEnd()
{
    QByteArray header = "WebSocket Inspector session log\n";
    header += "created      " + m_created.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")).toLatin1() + " UTC\n";
    if (!options().app.isEmpty())
        header += "app          " + options().app.toUtf8() + '\n';
    header += "times        UTC\n";
    header += "connections  " + QByteArray::number(m_connections.size()) + '\n';
    for (const Connection& c : m_connections) {
        header += Indent.latin1();
        header += '#' + QByteArray::number(c.id) + "  " + roleName(c.role).toUtf8();
        if (!c.url.isEmpty())
            header += "  " + c.url.toUtf8();
        if (!c.peer.isEmpty())
            header += "  peer " + c.peer.toUtf8();
        if (!c.subprotocol.isEmpty())
            header += "  subprotocol " + c.subprotocol.toUtf8();
        header += '\n';
    }
    header += "events       " + QByteArray::number(m_events) + "\n\n";
    device()->write(header);

    if (m_spill) {
        m_spill->seek(0);
        QByteArray chunk;
        while (!(chunk = m_spill->read(1024 * 1024)).isEmpty())
            device()->write(chunk);
        m_spill.reset();
    }
    device()->write(m_body);
    m_body.clear();
}

} // namespace wsi
