#include "core/messagetemplate.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QSet>
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
    void compileErrors_data();
    void compileErrors();
    void usesMessage_data();
    void usesMessage();
    void copiesRenderAlike();
    void defaultRendersNothing();
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

QTEST_GUILESS_MAIN(TestMessageTemplate)
#include "tst_messagetemplate.moc"
