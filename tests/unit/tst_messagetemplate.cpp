#include "core/messagetemplate.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QStringDecoder>
#include <QTest>

#include <limits>

using namespace wsi;

namespace {

MessageTemplate compiled(const QString& text)
{
    QString error;
    std::optional<MessageTemplate> t = MessageTemplate::compile(text, &error);
    if (!t)
        qWarning("%s: %s", qPrintable(text), qPrintable(error));
    return t.value_or(MessageTemplate());
}

QByteArray render(const QString& text, const TemplateInput& input = {})
{
    TemplateGenerators generators;
    return compiled(text).render(input, generators);
}

// The message as {{message|json}} reads it: bad bytes become U+FFFD, a leading BOM stays.
QString decoded(const QByteArray& message)
{
    QStringDecoder decoder(
        QStringDecoder::Utf8, QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    return decoder.decode(message);
}

TemplateInput withMessage(const QByteArray& message)
{
    TemplateInput input;
    input.message = message;
    return input;
}

} // namespace

class TestMessageTemplate : public QObject
{
    Q_OBJECT

private slots:
    void literals_data();
    void literals();
    void message_data();
    void message();
    void json_data();
    void json();
    void jsonSizeLimit();
    void jsonGivenByCaller();
    void groups_data();
    void groups();
    void counter();
    void timestamp();
    void isotime();
    void uuid();
    void random_data();
    void random();
    void jsonFilter_data();
    void jsonFilter();
    void jsonFilterGroups_data();
    void jsonFilterGroups();
    void jsonFilterGenerators();
    void jsonFilterKeepsUnfilteredAlike();
    void jsonFilterAlwaysGivesValidJson();
    void compileErrors_data();
    void compileErrors();
    void usesMessage_data();
    void usesMessage();
    void copiesRenderAlike();
    void defaultRendersNothing();
    void escapeRendersItself_data();
    void escapeRendersItself();
};

void TestMessageTemplate::literals_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("expected");
    QTest::addRow("empty") << QString() << QByteArray();
    QTest::addRow("plain") << QStringLiteral("hello") << QByteArray("hello");
    QTest::addRow("non-ASCII") << QStringLiteral("h\u00e9 \u263a") << QByteArray("h\xc3\xa9 \xe2\x98\xba");
    QTest::addRow("single braces") << QStringLiteral("{\"a\":{\"b\":1}}") << QByteArray("{\"a\":{\"b\":1}}");
    QTest::addRow("closing only") << QStringLiteral("a }} b") << QByteArray("a }} b");
    QTest::addRow("spaced braces") << QStringLiteral("{ {counter} }") << QByteArray("{ {counter} }");
    QTest::addRow("escaped") << QStringLiteral("\\{{counter}}") << QByteArray("{{counter}}");
    QTest::addRow("escaped garbage") << QStringLiteral("x \\{{foo") << QByteArray("x {{foo");
    QTest::addRow("backslash then placeholder") << QStringLiteral("\\\\{{counter}}") << QByteArray("\\1");
    QTest::addRow("three backslashes") << QStringLiteral("\\\\\\{{counter}}") << QByteArray("\\{{counter}}");
    QTest::addRow("four backslashes") << QStringLiteral("\\\\\\\\{{counter}}") << QByteArray("\\\\1");
    QTest::addRow("backslash elsewhere") << QStringLiteral("a\\b\\\\c\\") << QByteArray("a\\b\\\\c\\");
    QTest::addRow("backslash before one brace") << QStringLiteral("\\{x}") << QByteArray("\\{x}");
    QTest::addRow("JSON around") << QStringLiteral("{\"n\":{{counter}}}") << QByteArray("{\"n\":1}");
    QTest::addRow("adjacent") << QStringLiteral("{{counter}}{{counter}}-{{ counter }}") << QByteArray("12-3");
}

void TestMessageTemplate::literals()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, expected);
    QCOMPARE(render(text), expected);
}

void TestMessageTemplate::message_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("expected");
    QTest::addRow("whole") << QStringLiteral("{{message}}") << QByteArray("hi") << QByteArray("hi");
    QTest::addRow("spaces") << QStringLiteral("<{{  message\t}}>") << QByteArray("hi") << QByteArray("<hi>");
    QTest::addRow("twice") << QStringLiteral("{{message}}/{{message}}") << QByteArray("a") << QByteArray("a/a");
    QTest::addRow("bytes as they are") << QStringLiteral("{{message}}") << QByteArray("\x00\xff{{x}}", 7)
                                       << QByteArray("\x00\xff{{x}}", 7);
    QTest::addRow("no message") << QStringLiteral("[{{message}}]") << QByteArray() << QByteArray("[]");
}

void TestMessageTemplate::message()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, expected);
    QCOMPARE(render(text, withMessage(message)), expected);
}

void TestMessageTemplate::json_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray doc = R"({"s":"text \"q\" \u00e9","n":42,"d":1.5,"t":true,"f":false,"z":null,
        "o":{"b":[1,2],"c":"x"},"items":[{"name":"first"},{"name":"second"}],"0":"zero key","e":"","big":-9007199254740993})";
    QTest::addRow("string unquoted") << QStringLiteral("s") << doc << QByteArray("text \"q\" \xc3\xa9");
    QTest::addRow("empty string") << QStringLiteral("e") << doc << QByteArray();
    QTest::addRow("integer") << QStringLiteral("n") << doc << QByteArray("42");
    QTest::addRow("double") << QStringLiteral("d") << doc << QByteArray("1.5");
    QTest::addRow("true") << QStringLiteral("t") << doc << QByteArray("true");
    QTest::addRow("false") << QStringLiteral("f") << doc << QByteArray("false");
    QTest::addRow("null") << QStringLiteral("z") << doc << QByteArray("null");
    QTest::addRow("object compact") << QStringLiteral("o") << doc << QByteArray(R"({"b":[1,2],"c":"x"})");
    QTest::addRow("array compact") << QStringLiteral("o.b") << doc << QByteArray("[1,2]");
    QTest::addRow("nested") << QStringLiteral("o.c") << doc << QByteArray("x");
    QTest::addRow("array index") << QStringLiteral("o.b.1") << doc << QByteArray("2");
    QTest::addRow("object in array") << QStringLiteral("items.1.name") << doc << QByteArray("second");
    QTest::addRow("index out of range") << QStringLiteral("items.2.name") << doc << QByteArray();
    QTest::addRow("huge index") << QStringLiteral("items.99999999999999999999") << doc << QByteArray();
    QTest::addRow("name on array") << QStringLiteral("items.name") << doc << QByteArray();
    QTest::addRow("negative index") << QStringLiteral("items.-1") << doc << QByteArray();
    QTest::addRow("numeric key in object") << QStringLiteral("0") << doc << QByteArray("zero key");
    QTest::addRow("below a scalar") << QStringLiteral("n.x") << doc << QByteArray();
    QTest::addRow("missing") << QStringLiteral("nope") << doc << QByteArray();
    QTest::addRow("missing deep") << QStringLiteral("o.nope.deeper") << doc << QByteArray();
    QTest::addRow("64-bit integer") << QStringLiteral("big") << doc << QByteArray("-9007199254740993");
    QTest::addRow("array root") << QStringLiteral("1.a") << QByteArray(R"([0,{"a":"b"}])") << QByteArray("b");
    QTest::addRow("not JSON") << QStringLiteral("a") << QByteArray("hello") << QByteArray();
    QTest::addRow("broken JSON") << QStringLiteral("a") << QByteArray(R"({"a":1)") << QByteArray();
    QTest::addRow("scalar JSON") << QStringLiteral("a") << QByteArray("5") << QByteArray();
    QTest::addRow("no message") << QStringLiteral("a") << QByteArray() << QByteArray();
}

void TestMessageTemplate::json()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, expected);
    QCOMPARE(render(QStringLiteral("{{json.") + path + QStringLiteral("}}"), withMessage(message)), expected);
    QCOMPARE(render(QStringLiteral("<{{ json.") + path + QStringLiteral(" }}>"), withMessage(message)),
        '<' + expected + '>');
}

void TestMessageTemplate::jsonSizeLimit()
{
    // Whitespace after the object keeps it valid JSON of any size.
    QByteArray message = R"({"a":"yes"})";
    message.append(MessageTemplate::MaxJsonBytes - message.size(), ' ');
    QCOMPARE(render(QStringLiteral("{{json.a}}"), withMessage(message)), QByteArray("yes"));
    message.append(' ');
    QCOMPARE(render(QStringLiteral("{{json.a}}"), withMessage(message)), QByteArray());
    QVERIFY(MessageTemplate::parseJson(message).isNull());
}

void TestMessageTemplate::jsonGivenByCaller()
{
    // A caller that parsed the message already hands the document over; rendering does not parse again.
    TemplateInput input = withMessage(R"({"a":"from the message"})");
    input.json = QJsonDocument::fromJson(R"({"a":"given"})");
    QCOMPARE(render(QStringLiteral("{{json.a}} {{json.a}}"), input), QByteArray("given given"));
    input.json = QJsonDocument(); // the caller found it is not JSON
    QCOMPARE(render(QStringLiteral("[{{json.a}}]"), input), QByteArray("[]"));
}

void TestMessageTemplate::groups_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("groups");
    QTest::addColumn<QByteArray>("expected");
    const QStringList groups { QStringLiteral("add 2 3"), QStringLiteral("2"), QStringLiteral("3") };
    QTest::addRow("whole match") << QStringLiteral("{{0}}") << groups << QByteArray("add 2 3");
    QTest::addRow("groups") << QStringLiteral("{{1}}+{{ 2 }}") << groups << QByteArray("2+3");
    QTest::addRow("absent group") << QStringLiteral("[{{3}}]") << groups << QByteArray("[]");
    QTest::addRow("leading zero") << QStringLiteral("{{01}}") << groups << QByteArray("2");
    QTest::addRow("no groups") << QStringLiteral("[{{0}}{{1}}]") << QStringList() << QByteArray("[]");
    QTest::addRow("non-ASCII") << QStringLiteral("{{1}}") << QStringList { QString(), QStringLiteral("\u00e9") }
                               << QByteArray("\xc3\xa9");
}

void TestMessageTemplate::groups()
{
    QFETCH(QString, text);
    QFETCH(QStringList, groups);
    QFETCH(QByteArray, expected);
    TemplateInput input;
    input.groups = groups;
    QCOMPARE(render(text, input), expected);
}

void TestMessageTemplate::counter()
{
    TemplateGenerators generators;
    const MessageTemplate a = compiled(QStringLiteral("a{{counter}}"));
    const MessageTemplate b = compiled(QStringLiteral("b{{counter}},{{counter}}"));
    QCOMPARE(a.render({}, generators), QByteArray("a1"));
    QCOMPARE(b.render({}, generators), QByteArray("b2,3"));
    QCOMPARE(a.render({}, generators), QByteArray("a4"));

    TemplateGenerators other; // another user of templates counts on its own
    QCOMPARE(a.render({}, other), QByteArray("a1"));

    generators.resetCounter();
    QCOMPARE(a.render({}, generators), QByteArray("a1"));
}

void TestMessageTemplate::timestamp()
{
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    const QByteArray rendered = render(QStringLiteral("{{timestamp}}"));
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    bool ok = false;
    const qint64 value = rendered.toLongLong(&ok);
    QVERIFY2(ok, rendered.constData());
    QVERIFY(value >= before);
    QVERIFY(value <= after);
}

void TestMessageTemplate::isotime()
{
    const QDateTime before = QDateTime::currentDateTimeUtc();
    const QString rendered = QString::fromUtf8(render(QStringLiteral("{{isotime}}")));
    const QDateTime after = QDateTime::currentDateTimeUtc();
    static const QRegularExpression format(QStringLiteral(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)"));
    QVERIFY2(format.match(rendered).hasMatch(), qPrintable(rendered));
    const QDateTime parsed = QDateTime::fromString(rendered, Qt::ISODateWithMs);
    QVERIFY(parsed.isValid());
    QCOMPARE(parsed.timeSpec(), Qt::UTC);
    QVERIFY(parsed >= before);
    QVERIFY(parsed <= after);
}

void TestMessageTemplate::uuid()
{
    static const QRegularExpression v4(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    TemplateGenerators generators;
    const MessageTemplate t = compiled(QStringLiteral("{{uuid}}"));
    QSet<QByteArray> seen;
    for (int i = 0; i < 100; ++i) {
        const QByteArray rendered = t.render({}, generators);
        QVERIFY2(v4.match(QString::fromLatin1(rendered)).hasMatch(), rendered.constData());
        seen.insert(rendered);
    }
    QCOMPARE(seen.size(), 100);
}

void TestMessageTemplate::random_data()
{
    QTest::addColumn<qint64>("low");
    QTest::addColumn<qint64>("high");
    constexpr qint64 min = std::numeric_limits<qint64>::min();
    constexpr qint64 max = std::numeric_limits<qint64>::max();
    QTest::addRow("die") << qint64(1) << qint64(6);
    QTest::addRow("single value") << qint64(7) << qint64(7);
    QTest::addRow("single negative") << qint64(-7) << qint64(-7);
    QTest::addRow("negative") << qint64(-10) << qint64(-5);
    QTest::addRow("around zero") << qint64(-3) << qint64(3);
    QTest::addRow("whole 64-bit range") << min << max;
    QTest::addRow("top") << max - 2 << max;
    QTest::addRow("bottom") << min << min + 2;
    QTest::addRow("zero to max") << qint64(0) << max; // 2^63 values: the widest bounded() takes
    QTest::addRow("more than 2^63 values") << qint64(-2) << max;
}

void TestMessageTemplate::random()
{
    QFETCH(qint64, low);
    QFETCH(qint64, high);
    const MessageTemplate t = compiled(QStringLiteral("{{ random  %1 \t%2 }}").arg(low).arg(high));
    TemplateGenerators generators;
    QSet<qint64> seen;
    for (int i = 0; i < 3000; ++i) {
        const QByteArray rendered = t.render({}, generators);
        bool ok = false;
        const qint64 value = rendered.toLongLong(&ok);
        QVERIFY2(ok, rendered.constData());
        QVERIFY2(value >= low && value <= high, rendered.constData());
        seen.insert(value);
    }
    // A small range shows every value in 3000 draws (missing one of seven: about 7 * (6/7)^3000).
    if (quint64(high) - quint64(low) < 10)
        QCOMPARE(quint64(seen.size()), quint64(high) - quint64(low) + 1);
    else
        QVERIFY2(seen.size() > 2900, qPrintable(QString::number(seen.size())));
}

void TestMessageTemplate::jsonFilter_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("expected");

    const QString m = QStringLiteral("{{message|json}}");
    QTest::addRow("message") << m << QByteArray("hi") << QByteArray(R"("hi")");
    QTest::addRow("message empty") << m << QByteArray() << QByteArray(R"("")");
    QTest::addRow("message quotes and backslashes")
        << m << QByteArray(R"(say "hi" \ C:\dir\)") << QByteArray(R"("say \"hi\" \\ C:\\dir\\")");
    QTest::addRow("message control characters")
        << m << QByteArray("\x01\b\f\n\r\t\x1f\x7f", 8) << QByteArray("\"\\u0001\\b\\f\\n\\r\\t\\u001f\x7f\"");
    QTest::addRow("message NUL") << m << QByteArray("a\0b", 3) << QByteArray(R"("a\u0000b")");
    QTest::addRow("message non-ASCII") << m << QByteArray("h\xc3\xa9 \xe2\x98\xba")
                                       << QByteArray("\"h\xc3\xa9 \xe2\x98\xba\"");
    QTest::addRow("message emoji") << m << QByteArray("\xf0\x9f\x98\x80!") << QByteArray("\"\xf0\x9f\x98\x80!\"");
    QTest::addRow("message separators kept") << m << QByteArray("\xe2\x80\xa8/") << QByteArray("\"\xe2\x80\xa8/\"");
    QTest::addRow("message BOM kept") << m << QByteArray("\xef\xbb\xbfx") << QByteArray("\"\xef\xbb\xbfx\"");
    QTest::addRow("message that is JSON") << m << QByteArray(R"({"a":"b"})") << QByteArray(R"("{\"a\":\"b\"}")");
    QTest::addRow("message bad byte") << m << QByteArray("a\xff!") << QByteArray("\"a\xef\xbf\xbd!\"");
    QTest::addRow("message cut sequence")
        << m << QByteArray("a\xe2\x98") << QByteArray("\"a\xef\xbf\xbd\xef\xbf\xbd\"");
    QTest::addRow("message encoded surrogate")
        << m << QByteArray("\xed\xa0\x80") << QByteArray("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    QTest::addRow("message spaced") << QStringLiteral("<{{ message | json }}>") << QByteArray("x")
                                    << QByteArray(R"(<"x">)");
    QTest::addRow("message tabs") << QStringLiteral("{{\tmessage\t|\tjson\t}}") << QByteArray("x")
                                  << QByteArray(R"("x")");
    QTest::addRow("message space before bar")
        << QStringLiteral("{{message |json}}") << QByteArray("x") << QByteArray(R"("x")");
    QTest::addRow("message space after bar")
        << QStringLiteral("{{message| json}}") << QByteArray("x") << QByteArray(R"("x")");

    const QByteArray doc = R"({"s":"text \"q\" \\ \/ \u00e9","nl":"a\nb\tc\u0001\u001f","emoji":"\ud83d\ude00",
        "lone":"\ud800!","swapped":"\ude00\ud83d","n":42,"d":1.5,"t":true,"f":false,"z":null,"e":"",
        "o":{"b":[1,"two"],"c":"x\"y"},"items":[{"name":"first"}],"big":-9007199254740993})";
    const auto field = [](const char* path) { return QStringLiteral("{{json.%1|json}}").arg(QLatin1String(path)); };
    QTest::addRow("string quoted and escaped") << field("s") << doc << QByteArray("\"text \\\"q\\\" \\\\ / \xc3\xa9\"");
    QTest::addRow("string control characters") << field("nl") << doc << QByteArray(R"("a\nb\tc\u0001\u001f")");
    QTest::addRow("string emoji") << field("emoji") << doc << QByteArray("\"\xf0\x9f\x98\x80\"");
    QTest::addRow("string lone surrogate") << field("lone") << doc << QByteArray("\"\xef\xbf\xbd!\""); // not Qt's '?'
    QTest::addRow("string swapped surrogates") << field("swapped") << doc << QByteArray("\"\xef\xbf\xbd\xef\xbf\xbd\"");
    QTest::addRow("empty string") << field("e") << doc << QByteArray(R"("")");
    QTest::addRow("integer") << field("n") << doc << QByteArray("42");
    QTest::addRow("double") << field("d") << doc << QByteArray("1.5");
    QTest::addRow("true") << field("t") << doc << QByteArray("true");
    QTest::addRow("false") << field("f") << doc << QByteArray("false");
    QTest::addRow("null") << field("z") << doc << QByteArray("null");
    QTest::addRow("object compact") << field("o") << doc << QByteArray(R"({"b":[1,"two"],"c":"x\"y"})");
    QTest::addRow("array compact") << field("o.b") << doc << QByteArray(R"([1,"two"])");
    QTest::addRow("in array") << field("items.0.name") << doc << QByteArray(R"("first")");
    QTest::addRow("64-bit integer") << field("big") << doc << QByteArray("-9007199254740993");
    QTest::addRow("missing") << field("nope") << doc << QByteArray("null");
    QTest::addRow("missing deep") << field("o.nope.deeper") << doc << QByteArray("null");
    QTest::addRow("index out of range") << field("items.1.name") << doc << QByteArray("null");
    QTest::addRow("below a scalar") << field("n.x") << doc << QByteArray("null");
    QTest::addRow("not JSON") << field("a") << QByteArray("hello") << QByteArray("null");
    QTest::addRow("broken JSON") << field("a") << QByteArray(R"({"a":1)") << QByteArray("null");
    QTest::addRow("scalar JSON") << field("a") << QByteArray(R"("a")") << QByteArray("null");
    QTest::addRow("no message") << field("a") << QByteArray() << QByteArray("null");
    QTest::addRow("field spaced") << QStringLiteral(R"({"c":{{ json.o.c | json }}})") << doc
                                  << QByteArray(R"({"c":"x\"y"})");
    QTest::addRow("field, missing, in an object")
        << QStringLiteral(R"({"order":{{json.order.id|json}},"x":1})") << doc << QByteArray(R"({"order":null,"x":1})");
}

void TestMessageTemplate::jsonFilter()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, expected);
    const QByteArray rendered = render(text, withMessage(message));
    QCOMPARE(rendered, expected);
    // Whatever went in, a JSON literal came out: wrapped in an array it parses.
    if (text.startsWith(QLatin1String("{{"))) {
        QJsonParseError error;
        QJsonDocument::fromJson('[' + rendered + ']', &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    }
}

void TestMessageTemplate::jsonFilterGroups_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("groups");
    QTest::addColumn<QByteArray>("expected");
    const QStringList groups { QStringLiteral("say \"a\\b\"\n"), QStringLiteral("a\\b"), QStringLiteral("\u00e9") };
    QTest::addRow("whole match") << QStringLiteral("{{0|json}}") << groups << QByteArray(R"("say \"a\\b\"\n")");
    QTest::addRow("group") << QStringLiteral("{{ 1 | json }}") << groups << QByteArray(R"("a\\b")");
    QTest::addRow("non-ASCII") << QStringLiteral("{{2|json}}") << groups << QByteArray("\"\xc3\xa9\"");
    QTest::addRow("absent group") << QStringLiteral("[{{3|json}}]") << groups << QByteArray("[null]");
    QTest::addRow("no groups") << QStringLiteral("[{{0|json}},{{1|json}}]") << QStringList()
                               << QByteArray("[null,null]");
    QTest::addRow("empty group") << QStringLiteral("{{1|json}}") << QStringList { QStringLiteral("x"), QString() }
                                 << QByteArray(R"("")");
}

void TestMessageTemplate::jsonFilterGroups()
{
    QFETCH(QString, text);
    QFETCH(QStringList, groups);
    QFETCH(QByteArray, expected);
    TemplateInput input;
    input.groups = groups;
    QCOMPARE(render(text, input), expected);
}

void TestMessageTemplate::jsonFilterGenerators()
{
    TemplateGenerators generators;
    const MessageTemplate t = compiled(QStringLiteral(
        R"({"n":{{counter|json}},"ts":{{ timestamp | json }},"r":{{random 5 5|json}},"wide":{{random -3 -3 | json}},)"
        R"("at":{{isotime|json}},"id":{{uuid |json}}})"));
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    const QByteArray rendered = t.render({}, generators);
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    QVERIFY2(rendered.startsWith(R"({"n":1,"ts":)"), rendered.constData());
    QVERIFY2(rendered.contains(R"(,"r":5,"wide":-3,"at":")"), rendered.constData());

    QJsonParseError error;
    const QJsonObject object = QJsonDocument::fromJson(rendered, &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QCOMPARE(object.value(QLatin1String("n")), QJsonValue(1));
    QVERIFY(object.value(QLatin1String("ts")).isDouble());
    const qint64 ts = object.value(QLatin1String("ts")).toInteger();
    QVERIFY(ts >= before && ts <= after);
    QCOMPARE(object.value(QLatin1String("r")), QJsonValue(5));
    QCOMPARE(object.value(QLatin1String("wide")), QJsonValue(-3));
    const QDateTime at = QDateTime::fromString(object.value(QLatin1String("at")).toString(), Qt::ISODateWithMs);
    QVERIFY2(at.isValid(), rendered.constData());
    QVERIFY(at.toMSecsSinceEpoch() >= before && at.toMSecsSinceEpoch() <= after);
    static const QRegularExpression v4(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    QVERIFY2(v4.match(object.value(QLatin1String("id")).toString()).hasMatch(), rendered.constData());

    QCOMPARE(t.render({}, generators).left(7), QByteArray(R"({"n":2,)"));
}

void TestMessageTemplate::jsonFilterKeepsUnfilteredAlike()
{
    // The filter applies to its own placeholder only.
    const TemplateInput input = withMessage(R"({"a":"q\"","n":3})");
    QCOMPARE(render(QStringLiteral("{{json.a}} {{json.a|json}} {{json.n}} {{json.n|json}} {{json.no}}."), input),
        QByteArray(R"(q" "q\"" 3 3 .)"));
    QCOMPARE(render(QStringLiteral("{{message}}|{{message|json}}"), withMessage("a\"")), QByteArray(R"(a"|"a\"")"));
    QCOMPARE(render(QStringLiteral("a | json {{counter}}|json")), QByteArray("a | json 1|json"));
}

// A template that builds a JSON reply from the message stays valid JSON whatever the message holds.
void TestMessageTemplate::jsonFilterAlwaysGivesValidJson()
{
    QRandomGenerator random(20261122); // fixed: a failure is reproducible
    const auto randomText = [&random] {
        // Mostly the characters that need care: quotes, backslashes, controls, non-ASCII, astral planes.
        static const char32_t picks[] = { U'"', U'\\', U'/', U'\n', U'\t', U'\0', U'\x1f', U'\x7f', U'a', U'{', U'}',
            U' ', U'\u00e9', U'\u2028', U'\ufeff', U'\ufffd', U'\U0001f600', U'\U0010ffff' };
        QString text;
        const int length = int(random.bounded(12));
        for (int i = 0; i < length; ++i) {
            const char32_t c = random.bounded(3) == 0 ? char32_t(random.bounded(0x20, 0x2fff))
                                                      : picks[random.bounded(int(std::size(picks)))];
            text += QString::fromUcs4(&c, 1);
        }
        return text;
    };
    const auto randomValue = [&](int depth, auto& self) -> QJsonValue {
        switch (random.bounded(depth > 0 ? 7 : 5)) {
        case 0:
            return randomText();
        case 1:
            return qint64(random.generate64());
        case 2:
            return random.generateDouble() * 1e6 - 5e5;
        case 3:
            return random.bounded(2) == 1;
        case 4:
            return QJsonValue::Null;
        case 5: {
            QJsonArray array;
            for (int i = int(random.bounded(4)); i > 0; --i)
                array.append(self(depth - 1, self));
            return array;
        }
        default: {
            QJsonObject object;
            for (int i = int(random.bounded(4)); i > 0; --i)
                object.insert(randomText(), self(depth - 1, self));
            return object;
        }
        }
    };

    const MessageTemplate t = compiled(QStringLiteral(R"({"echo":{{message|json}},"x":{{json.x|json}}})"));
    TemplateGenerators generators;
    int utf8 = 0;
    int withX = 0;
    for (int i = 0; i < 2000; ++i) {
        QByteArray message;
        switch (random.bounded(4)) {
        case 0: // a JSON object, most of the time with an "x"
        case 1: {
            QJsonObject object = randomValue(2, randomValue).toObject();
            if (random.bounded(4) != 0)
                object.insert(QStringLiteral("x"), randomValue(2, randomValue));
            message
                = QJsonDocument(object).toJson(random.bounded(2) ? QJsonDocument::Compact : QJsonDocument::Indented);
            break;
        }
        case 2: // text
            message = randomText().toUtf8();
            break;
        default: // bytes, mostly not UTF-8
            for (int n = int(random.bounded(16)); n > 0; --n)
                message += char(random.bounded(256));
            break;
        }

        const QByteArray rendered = t.render(withMessage(message), generators);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(rendered, &error);
        QVERIFY2(error.error == QJsonParseError::NoError,
            qPrintable(
                QStringLiteral("message %1 gave %2: %3")
                    .arg(QString::fromLatin1(message.toHex()), QString::fromUtf8(rendered), error.errorString())));
        const QJsonObject object = document.object();
        const QString echo = object.value(QLatin1String("echo")).toString();
        QCOMPARE(echo, decoded(message));
        if (decoded(message).toUtf8() == message) {
            QCOMPARE(echo.toUtf8(), message); // text comes back byte for byte
            ++utf8;
        }
        const QJsonDocument parsed = MessageTemplate::parseJson(message);
        const QJsonValue x
            = parsed.isObject() ? parsed.object().value(QLatin1String("x")) : QJsonValue(QJsonValue::Undefined);
        QCOMPARE(object.value(QLatin1String("x")), x.isUndefined() ? QJsonValue(QJsonValue::Null) : x);
        if (!x.isUndefined())
            ++withX;
    }
    // The seed gives a fair mix: text and bytes that are not UTF-8, JSON with an "x" and messages without.
    QVERIFY2(utf8 > 1000 && utf8 < 1900, qPrintable(QString::number(utf8)));
    QVERIFY2(withX > 500 && withX < 1500, qPrintable(QString::number(withX)));
}

void TestMessageTemplate::compileErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    QTest::addRow("unknown") << QStringLiteral("{{foo}}") << QStringLiteral("unknown placeholder {{foo}} at offset 0");
    QTest::addRow("unknown, offset") << QStringLiteral("abc {{ foo }}")
                                     << QStringLiteral("unknown placeholder {{ foo }} at offset 4");
    QTest::addRow("offset in characters")
        << QStringLiteral("\u00e9t\u00e9 {{x}}") << QStringLiteral("unknown placeholder {{x}} at offset 4");
    QTest::addRow("empty") << QStringLiteral("a{{}}") << QStringLiteral("unknown placeholder {{}} at offset 1");
    QTest::addRow("blank") << QStringLiteral("{{  }}") << QStringLiteral("unknown placeholder {{  }} at offset 0");
    QTest::addRow("percent signs") << QStringLiteral("{{%2 %1}}")
                                   << QStringLiteral("unknown placeholder {{%2 %1}} at offset 0");
    QTest::addRow("percent signs, random") << QStringLiteral("{{random %1 2}}")
                                           << QStringLiteral("{{random %1 2}} at offset 0: %1 is not a 64-bit integer");
    QTest::addRow("case") << QStringLiteral("{{Counter}}")
                          << QStringLiteral("unknown placeholder {{Counter}} at offset 0");
    QTest::addRow("json alone") << QStringLiteral("{{json}}")
                                << QStringLiteral("unknown placeholder {{json}} at offset 0");
    QTest::addRow("json space") << QStringLiteral("{{json.a b}}")
                                << QStringLiteral("unknown placeholder {{json.a b}} at offset 0");
    QTest::addRow("json empty path") << QStringLiteral("{{json.}}")
                                     << QStringLiteral("{{json.}} at offset 0: empty part in the JSON path");
    QTest::addRow("json empty part") << QStringLiteral("x{{json.a..b}}")
                                     << QStringLiteral("{{json.a..b}} at offset 1: empty part in the JSON path");
    QTest::addRow("group too large") << QStringLiteral("{{99999999999}}")
                                     << QStringLiteral("{{99999999999}} at offset 0: no such capture group");
    QTest::addRow("negative group") << QStringLiteral("{{-1}}")
                                    << QStringLiteral("unknown placeholder {{-1}} at offset 0");
    QTest::addRow("random reversed") << QStringLiteral(
        "{{random 5 1}}") << QStringLiteral("{{random 5 1}} at offset 0: the lower bound is above the upper");
    QTest::addRow("random one bound") << QStringLiteral("{{random 1}}")
                                      << QStringLiteral("{{random 1}} at offset 0: needs two integers, {{random A B}}");
    QTest::addRow("random three bounds") << QStringLiteral(
        "{{random 1 2 3}}") << QStringLiteral("{{random 1 2 3}} at offset 0: needs two integers, {{random A B}}");
    QTest::addRow("random no bounds") << QStringLiteral("{{random}}")
                                      << QStringLiteral("unknown placeholder {{random}} at offset 0");
    QTest::addRow("random glued") << QStringLiteral("{{random1 2}}")
                                  << QStringLiteral("unknown placeholder {{random1 2}} at offset 0");
    QTest::addRow("random word") << QStringLiteral("{{random a 2}}")
                                 << QStringLiteral("{{random a 2}} at offset 0: a is not a 64-bit integer");
    QTest::addRow("random fraction") << QStringLiteral("{{random 1 2.5}}")
                                     << QStringLiteral("{{random 1 2.5}} at offset 0: 2.5 is not a 64-bit integer");
    QTest::addRow("random overflow")
        << QStringLiteral("{{random 0 9223372036854775808}}")
        << QStringLiteral("{{random 0 9223372036854775808}} at offset 0: 9223372036854775808 is not a 64-bit integer");
    QTest::addRow("unterminated") << QStringLiteral("x{{counter") << QStringLiteral("unterminated {{ at offset 1");
    QTest::addRow("unterminated after one")
        << QStringLiteral("{{counter}} and {{") << QStringLiteral("unterminated {{ at offset 16");
    QTest::addRow("single closing brace")
        << QStringLiteral("{{counter}") << QStringLiteral("unterminated {{ at offset 0");
    QTest::addRow("three braces") << QStringLiteral("{{{counter}}}")
                                  << QStringLiteral("unknown placeholder {{{counter}} at offset 0");
    QTest::addRow("after an escape") << QStringLiteral("\\{{x}} {{y}}")
                                     << QStringLiteral("unknown placeholder {{y}} at offset 7");
    QTest::addRow("unknown filter")
        << QStringLiteral("{{message | upper}}")
        << QStringLiteral("{{message | upper}} at offset 0: unknown filter upper (the only filter is json)");
    QTest::addRow("unknown filter, offset")
        << QStringLiteral("{\"a\":{{json.a|JSON}}}")
        << QStringLiteral("{{json.a|JSON}} at offset 5: unknown filter JSON (the only filter is json)");
    QTest::addRow("unknown filter after a good one")
        << QStringLiteral("{{uuid|json}} {{ 1 |quote }}")
        << QStringLiteral("{{ 1 |quote }} at offset 14: unknown filter quote (the only filter is json)");
    QTest::addRow("two filters")
        << QStringLiteral("{{message|json|json}}")
        << QStringLiteral("{{message|json|json}} at offset 0: unknown filter json|json (the only filter is json)");
    QTest::addRow("filter with words")
        << QStringLiteral("{{message|json x}}")
        << QStringLiteral("{{message|json x}} at offset 0: unknown filter json x (the only filter is json)");
    QTest::addRow("no filter") << QStringLiteral("{{message|}}")
                               << QStringLiteral("{{message|}} at offset 0: no filter after |");
    QTest::addRow("blank filter") << QStringLiteral("{{message | }}")
                                  << QStringLiteral("{{message | }} at offset 0: no filter after |");
    QTest::addRow("filter only") << QStringLiteral("{{|json}}")
                                 << QStringLiteral("unknown placeholder {{|json}} at offset 0");
    QTest::addRow("filter on an unknown placeholder")
        << QStringLiteral("{{foo | bar}}") << QStringLiteral("unknown placeholder {{foo | bar}} at offset 0");
    QTest::addRow("filter on a bad random") << QStringLiteral(
        "{{random 5 1|json}}") << QStringLiteral("{{random 5 1|json}} at offset 0: the lower bound is above the upper");
    QTest::addRow("bar in a JSON path") << QStringLiteral(
        "{{json.a|b.c}}") << QStringLiteral("{{json.a|b.c}} at offset 0: unknown filter b.c (the only filter is json)");
    QTest::addRow("after backslashes") << QStringLiteral(
        "\\\\{{message|x}}") << QStringLiteral("{{message|x}} at offset 2: unknown filter x (the only filter is json)");
    QTest::addRow("long") << QStringLiteral("{{") + QString(100, QLatin1Char('z')) + QStringLiteral("}}")
                          << QStringLiteral("unknown placeholder {{") + QString(55, QLatin1Char('z')) + QChar(0x2026)
            + QStringLiteral(" at offset 0");
}

void TestMessageTemplate::compileErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QString reason;
    QVERIFY(!MessageTemplate::compile(text, &reason));
    QCOMPARE(reason, error);
    QVERIFY(!MessageTemplate::compile(text, nullptr)); // the reason is optional
}

void TestMessageTemplate::usesMessage_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("uses");
    QTest::addRow("literal") << QStringLiteral("hi") << false;
    QTest::addRow("generators") << QStringLiteral("{{counter}}{{uuid}}{{timestamp}}{{isotime}}{{random 1 2}}") << false;
    QTest::addRow("escaped message") << QStringLiteral("\\{{message}}") << false;
    QTest::addRow("message") << QStringLiteral("{{message}}") << true;
    QTest::addRow("json") << QStringLiteral("{{json.a}}") << true;
    QTest::addRow("group") << QStringLiteral("x {{2}}") << true;
    QTest::addRow("generators filtered") << QStringLiteral("{{uuid|json}}{{isotime|json}}{{counter|json}}") << false;
    QTest::addRow("message filtered") << QStringLiteral("{{message|json}}") << true;
    QTest::addRow("json filtered") << QStringLiteral("{{json.a | json}}") << true;
    QTest::addRow("group filtered") << QStringLiteral("{{1|json}}") << true;
}

void TestMessageTemplate::usesMessage()
{
    QFETCH(QString, text);
    QFETCH(bool, uses);
    QCOMPARE(compiled(text).usesMessage(), uses);
}

void TestMessageTemplate::copiesRenderAlike()
{
    const QString text = QStringLiteral("{{json.a}}-{{counter}}");
    const MessageTemplate original = compiled(text);
    MessageTemplate copy = original;
    MessageTemplate moved = std::move(copy);
    TemplateGenerators generators;
    const TemplateInput input = withMessage(R"({"a":"x"})");
    QCOMPARE(original.render(input, generators), QByteArray("x-1"));
    QCOMPARE(moved.render(input, generators), QByteArray("x-2"));
    QCOMPARE(moved.text(), text);
    QCOMPARE(original.text(), text);
}

void TestMessageTemplate::defaultRendersNothing()
{
    const MessageTemplate t;
    TemplateGenerators generators;
    QCOMPARE(t.render(withMessage("x"), generators), QByteArray());
    QVERIFY(t.text().isEmpty());
    QVERIFY(!t.usesMessage());
}

void TestMessageTemplate::escapeRendersItself_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("plain") << QStringLiteral("hello {world}");
    QTest::newRow("placeholder") << QStringLiteral("{{counter}} and {{foo}}");
    QTest::newRow("unterminated") << QStringLiteral("a {{ b");
    QTest::newRow("three braces") << QStringLiteral("{{{x}}}");
    QTest::newRow("four braces") << QStringLiteral("{{{{");
    QTest::newRow("backslashes before") << QStringLiteral("\\{{counter}} \\\\{{x}} \\\\\\{{");
    QTest::newRow("backslashes elsewhere") << QStringLiteral("C:\\dir\\ \\n");
    QTest::newRow("trailing backslash") << QStringLiteral("end\\");
    QTest::newRow("empty") << QString();
}

void TestMessageTemplate::escapeRendersItself()
{
    QFETCH(QString, text);
    QString error;
    const std::optional<MessageTemplate> t = MessageTemplate::compile(MessageTemplate::escape(text), &error);
    QVERIFY2(t, qPrintable(error));
    TemplateGenerators generators;
    QCOMPARE(t->render({}, generators), text.toUtf8());
}

QTEST_GUILESS_MAIN(TestMessageTemplate)
#include "tst_messagetemplate.moc"
