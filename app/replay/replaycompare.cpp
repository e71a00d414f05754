#include "replaycompare.h"

#include "../core/event.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <optional>

namespace wsi {

namespace {

constexpr int ValuePreviewChars = 80;
constexpr int MessagePreviewChars = 60;
// Bytes shown before the first difference, so the reader sees where it is.
constexpr qsizetype ContextBytes = 8;

// Any JSON value, scalars too: QJsonDocument only takes an object or an array at the top, so the text is
// read as the single element of an array.
std::optional<QJsonValue> parseJson(const ReplayMessage& m)
{
    if (!m.text)
        return std::nullopt;
    const QByteArray trimmed = m.payload.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson('[' + trimmed + ']', &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        return std::nullopt;
    const QJsonArray array = doc.array();
    if (array.size() != 1) // "1,2" is two values, not one message
        return std::nullopt;
    return array.at(0);
}

QString preview(const QJsonValue& v)
{
    QByteArray json = QJsonDocument(QJsonArray { v }).toJson(QJsonDocument::Compact);
    json = json.mid(1, json.size() - 2);
    QString text = QString::fromUtf8(json);
    if (text.size() > ValuePreviewChars)
        text = text.left(ValuePreviewChars - 1) + QChar(0x2026);
    return text;
}

class JsonDiff
{
public:
    JsonDiff(const QList<JsonPathPattern>& ignore, ReplayCompareRow& row)
        : m_ignore(ignore)
        , m_row(row)
    { }

    void compare(const QJsonValue& a, const QJsonValue& b, JsonPath& path)
    {
        if (ignored(path))
            return;
        if (a.type() != b.type()) {
            add(path, preview(a), preview(b));
            return;
        }
        if (a.isObject()) {
            const QJsonObject ao = a.toObject();
            const QJsonObject bo = b.toObject();
            // Both key lists are sorted: one merge walk finds what is on one side only, in order.
            const QStringList ak = ao.keys();
            const QStringList bk = bo.keys();
            qsizetype i = 0;
            qsizetype j = 0;
            while (i < ak.size() || j < bk.size()) {
                const bool takeA = j >= bk.size() || (i < ak.size() && ak[i] < bk[j]);
                const bool takeB = i >= ak.size() || (j < bk.size() && bk[j] < ak[i]);
                path.append(JsonPathStep { takeB ? bk[j] : ak[i], -1 });
                if (takeA)
                    onlyOneSide(path, preview(ao.value(ak[i])), {});
                else if (takeB)
                    onlyOneSide(path, {}, preview(bo.value(bk[j])));
                else
                    compare(ao.value(ak[i]), bo.value(bk[j]), path);
                path.removeLast();
                if (!takeB)
                    ++i;
                if (!takeA)
                    ++j;
            }
            return;
        }
        if (a.isArray()) {
            const QJsonArray aa = a.toArray();
            const QJsonArray ba = b.toArray();
            const qsizetype n = std::max(aa.size(), ba.size());
            for (qsizetype k = 0; k < n; ++k) {
                path.append(JsonPathStep { {}, k });
                if (k >= ba.size())
                    onlyOneSide(path, preview(aa.at(k)), {});
                else if (k >= aa.size())
                    onlyOneSide(path, {}, preview(ba.at(k)));
                else
                    compare(aa.at(k), ba.at(k), path);
                path.removeLast();
            }
            return;
        }
        if (a != b)
            add(path, preview(a), preview(b));
    }

private:
    bool ignored(const JsonPath& path) const
    {
        return std::any_of(
            m_ignore.cbegin(), m_ignore.cend(), [&path](const JsonPathPattern& p) { return p.covers(path); });
    }

    void onlyOneSide(const JsonPath& path, const QString& recorded, const QString& received)
    {
        if (!ignored(path))
            add(path, recorded, received);
    }

    void add(const JsonPath& path, const QString& recorded, const QString& received)
    {
        if (m_row.differences.size() >= ReplayCompare::MaxPathsPerMessage) {
            ++m_row.moreDifferences;
            return;
        }
        m_row.differences.append(JsonDifference { JsonPathPattern::format(path), recorded, received });
    }

    const QList<JsonPathPattern>& m_ignore;
    ReplayCompareRow& m_row;
};

QString messagePreview(const ReplayMessage& m, qsizetype from = 0)
{
    const QByteArrayView bytes = QByteArrayView(m.payload).sliced(std::min(from, m.payload.size()));
    QString text = eventPreview(m.text ? EventKind::Text : EventKind::Binary, 0, bytes, MessagePreviewChars);
    if (from > 0)
        text.prepend(QChar(0x2026));
    return m.text ? QLatin1Char('"') + text + QLatin1Char('"') : text;
}

QString kindName(const ReplayMessage& m)
{
    return m.text ? ReplayCompare::tr("text") : ReplayCompare::tr("binary");
}

} // namespace

QStringList ReplayCompareRow::describe() const
{
    const QString name = ReplayCompare::tr("message %1").arg(index + 1);
    switch (status) {
    case Status::Equal:
        return {};
    case Status::Missing:
        return { ReplayCompare::tr("%1 is missing (recorded: %2)").arg(name, messagePreview(recorded)) };
    case Status::Extra:
        return { ReplayCompare::tr("%1 is extra (received: %2)").arg(name, messagePreview(received)) };
    case Status::Differ:
        break;
    }
    if (kindDiffers)
        return { ReplayCompare::tr("%1 differs: recorded %2 %3, received %4 %5")
                     .arg(name, kindName(recorded), messagePreview(recorded), kindName(received),
                         messagePreview(received)) };
    QStringList lines;
    if (bothJson) {
        auto value = [](const QString& v) { return v.isEmpty() ? ReplayCompare::tr("(absent)") : v; };
        for (const JsonDifference& d : differences)
            lines.append(ReplayCompare::tr("%1 differs at %2: recorded %3, received %4")
                             .arg(name, d.path, value(d.recorded), value(d.received)));
        if (moreDifferences > 0)
            lines.append(ReplayCompare::tr("%1 differs at %2 more paths").arg(name).arg(moreDifferences));
        return lines;
    }
    const qsizetype from = std::max<qsizetype>(0, firstDifference - ContextBytes);
    lines.append(ReplayCompare::tr("%1 differs at byte %2: recorded %3, received %4")
                     .arg(name, QString::number(firstDifference), messagePreview(recorded, from),
                         messagePreview(received, from)));
    return lines;
}

QString ReplayComparison::summary() const
{
    const int total = int(rows.size());
    QStringList parts;
    parts.append(ReplayCompare::tr("%1 equal").arg(equal));
    if (differ > 0)
        parts.append(QStringLiteral("%1 %2").arg(differ).arg(
            differ == 1 ? ReplayCompare::tr("differs") : ReplayCompare::tr("differ")));
    if (missing > 0)
        parts.append(ReplayCompare::tr("%1 missing").arg(missing));
    if (extra > 0)
        parts.append(ReplayCompare::tr("%1 extra").arg(extra));
    return ReplayCompare::tr("%1 %2: %3")
        .arg(total)
        .arg(total == 1 ? ReplayCompare::tr("message") : ReplayCompare::tr("messages"),
            parts.join(QStringLiteral(", ")));
}

ReplayCompare::ReplayCompare(QList<JsonPathPattern> ignore)
    : m_ignore(std::move(ignore))
{ }

bool ReplayCompare::parseIgnorePaths(const QStringList& texts, QList<JsonPathPattern>* out, QString* error)
{
    QList<JsonPathPattern> patterns;
    for (const QString& text : texts) {
        std::optional<JsonPathPattern> p = JsonPathPattern::parse(text, error);
        if (!p)
            return false;
        patterns.append(std::move(*p));
    }
    *out = std::move(patterns);
    return true;
}

ReplayCompareRow ReplayCompare::compareMessage(
    int index, const ReplayMessage& recorded, const ReplayMessage& received) const
{
    ReplayCompareRow row;
    row.index = index;
    row.recorded = recorded;
    row.received = received;
    if (recorded.text != received.text) {
        row.status = ReplayCompareRow::Status::Differ;
        row.kindDiffers = true;
        return row;
    }
    if (recorded.payload == received.payload)
        return row; // equal, whatever the ignore paths say
    const std::optional<QJsonValue> a = parseJson(recorded);
    const std::optional<QJsonValue> b = a ? parseJson(received) : std::nullopt;
    if (a && b) {
        row.bothJson = true;
        JsonPath path;
        JsonDiff(m_ignore, row).compare(*a, *b, path);
        if (!row.differences.isEmpty() || row.moreDifferences > 0)
            row.status = ReplayCompareRow::Status::Differ;
        return row;
    }
    row.status = ReplayCompareRow::Status::Differ;
    const qsizetype common = std::min(recorded.payload.size(), received.payload.size());
    qsizetype at = 0;
    while (at < common && recorded.payload[at] == received.payload[at])
        ++at;
    row.firstDifference = at;
    return row;
}

ReplayComparison ReplayCompare::compare(
    const QList<ReplayMessage>& recorded, const QList<ReplayMessage>& received) const
{
    ReplayComparison result;
    result.rows.reserve(std::max(recorded.size(), received.size()));
    auto add = [&result](ReplayCompareRow row) {
        switch (row.status) {
        case ReplayCompareRow::Status::Equal:
            ++result.equal;
            break;
        case ReplayCompareRow::Status::Differ:
            ++result.differ;
            break;
        case ReplayCompareRow::Status::Missing:
            ++result.missing;
            break;
        case ReplayCompareRow::Status::Extra:
            ++result.extra;
            break;
        }
        result.rows.append(std::move(row));
    };
    auto missing = [&](qsizetype i) {
        ReplayCompareRow row;
        row.index = int(i);
        row.status = ReplayCompareRow::Status::Missing;
        row.recorded = recorded[i];
        add(std::move(row));
    };
    auto extra = [&](qsizetype j) {
        ReplayCompareRow row;
        row.index = int(j);
        row.receivedIndex = int(j);
        row.status = ReplayCompareRow::Status::Extra;
        row.received = received[j];
        add(std::move(row));
    };
    // A reply cannot come before the client message it followed in the recording was sent.
    auto mayBe = [](const ReplayMessage& rec, const ReplayMessage& got) { return got.c2sBefore >= rec.c2sBefore; };
    auto same = [&](qsizetype i, qsizetype j) {
        return mayBe(recorded[i], received[j])
            && compareMessage(int(i), recorded[i], received[j]).status == ReplayCompareRow::Status::Equal;
    };

    qsizetype i = 0;
    qsizetype j = 0;
    while (i < recorded.size() || j < received.size()) {
        if (i >= recorded.size()) {
            extra(j++);
            continue;
        }
        if (j >= received.size()) {
            missing(i++);
            continue;
        }
        if (!mayBe(recorded[i], received[j])) {
            extra(j++);
            continue;
        }
        ReplayCompareRow row = compareMessage(int(i), recorded[i], received[j]);
        if (row.status != ReplayCompareRow::Status::Equal) {
            // The nearest equal pair ahead on either side, if there is one, tells what was left out or added.
            qsizetype skipRecorded = 0;
            qsizetype skipReceived = 0;
            for (qsizetype d = 1; d <= AlignLookahead && skipRecorded == 0 && skipReceived == 0; ++d) {
                if (i + d < recorded.size() && same(i + d, j))
                    skipRecorded = d;
                else if (j + d < received.size() && same(i, j + d))
                    skipReceived = d;
            }
            if (skipRecorded > 0 || skipReceived > 0) {
                for (qsizetype k = 0; k < skipRecorded; ++k)
                    missing(i++);
                for (qsizetype k = 0; k < skipReceived; ++k)
                    extra(j++);
                continue;
            }
        }
        row.receivedIndex = int(j);
        add(std::move(row));
        ++i;
        ++j;
    }
    return result;
}

} // namespace wsi
