#include "core/jsonformat.h"

#include <QRandomGenerator>
#include <QTest>

using namespace wsi;

namespace {

QByteArray nestedArrays(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

// The shape that made pretty printing blow up: depth levels of arrays around a flat list of zeros, about
// bytes long. Every zero becomes a line indented 128 spaces: 65 times the input.
QByteArray nestedAroundFlatList(int depth, qsizetype bytes)
{
    QByteArray out(depth, '[');
    out.reserve(bytes + depth);
    out += '0';
    while (out.size() + 2 + depth < bytes)
        out += ",0";
    out += QByteArray(depth, ']');
    return out;
}

QByteArray nestedObjects(int depth)
{
    QByteArray out;
    out.reserve(depth * 6 + 2);
    for (int i = 0; i < depth; ++i)
        out += "{\"a\":";
    out += "1";
    out += QByteArray(depth, '}');
    return out;
}

// Records what the parser reports, one short word per callback, to check the order of events.
class Recorder : public JsonVisitor
{
public:
    explicit Recorder(QByteArrayView json)
        : m_json(json)
    { }
    void beginContainer(char bracket, qsizetype) override { log << QByteArray(1, bracket); }
    void endContainer(char bracket, qsizetype, qsizetype count) override
    {
        log << (bracket == '{' ? "}" : "]") + QByteArray::number(count);
    }
    void key(qsizetype offset, qsizetype length) override { log << "k" + m_json.sliced(offset, length).toByteArray(); }
    void scalar(JsonType type, qsizetype offset, qsizetype length) override
    {
        log << QByteArray::number(int(type)) + ":" + m_json.sliced(offset, length).toByteArray();
    }
    QByteArrayList log;

private:
    QByteArrayView m_json;
};

} // namespace

class TestJsonFormat : public QObject
{
    Q_OBJECT

private slots:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void errorText();
    void visitorOrder();
    void prettyPrint_data();
    void prettyPrint();
    void prettyPrintIndentOptions();
    void prettyPrintInvalidClearsOutput();
    void prettyPrintOutputCap_data();
    void prettyPrintOutputCap();
    void prettyPrintCapKeepsCharacters();
    void prettyPrintPathologicalShapes_data();
    void prettyPrintPathologicalShapes();
    void deepNesting_data();
    void deepNesting();
    void bigDocument();
    void mutations();
    void tokenize_data();
    void tokenize();
    void tokenizeDeepLine();
    void unquote_data();
    void unquote();
    void unquoteLimited_data();
    void unquoteLimited();
    void quote();
};

void TestJsonFormat::valid_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("rootType");
    QTest::addRow("object") << QByteArray(R"({"a":1,"b":[true,false,null],"c":{}})") << int(JsonType::Object);
    QTest::addRow("array") << QByteArray("[1, 2 ,3]") << int(JsonType::Array);
    QTest::addRow("empty object") << QByteArray("{}") << int(JsonType::Object);
    QTest::addRow("empty array") << QByteArray(" [ ] ") << int(JsonType::Array);
    QTest::addRow("string") << QByteArray(R"("hi")") << int(JsonType::String);
    QTest::addRow("escapes") << QByteArray(R"(["\"\\\/\b\f\n\r\t", "\u00e9\uD83D\uDE00"])") << int(JsonType::Array);
    QTest::addRow("utf-8") << QByteArray("[\"caf\xc3\xa9\"]") << int(JsonType::Array);
    QTest::addRow("numbers") << QByteArray("[0, -0, 12, -3.25, 1e10, 1E+2, 2.5e-3, 0.0]") << int(JsonType::Array);
    QTest::addRow("number root") << QByteArray("42") << int(JsonType::Number);
    QTest::addRow("true") << QByteArray("true") << int(JsonType::Boolean);
    QTest::addRow("null") << QByteArray("\r\n\tnull\n") << int(JsonType::Null);
    QTest::addRow("nested") << QByteArray(R"({"a":[{"b":[[]]}],"":{"":""}})") << int(JsonType::Object);
}

void TestJsonFormat::valid()
{
    QFETCH(QByteArray, json);
    QFETCH(int, rootType);
    const JsonFormatter::Result result = JsonFormatter::validate(json);
    QVERIFY2(result.isValid(), qPrintable(result.errorText()));
    QCOMPARE(result.errorOffset, -1);
    QVERIFY(result.errorText().isEmpty());
    QCOMPARE(int(result.rootType), rootType);
    QVERIFY(!result.stopped);
}

void TestJsonFormat::invalid_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qsizetype>("offset");
    QTest::addColumn<QString>("message");
    QTest::addRow("empty") << QByteArray() << qsizetype(0) << QStringLiteral("empty document");
    QTest::addRow("whitespace only") << QByteArray(" \n\t ") << qsizetype(4) << QStringLiteral("empty document");
    QTest::addRow("trailing comma array") << QByteArray("[1,2,]") << qsizetype(5) << QStringLiteral("expected a value");
    QTest::addRow("trailing comma object")
        << QByteArray(R"({"a":1,})") << qsizetype(7) << QStringLiteral("expected a string key");
    QTest::addRow("missing comma") << QByteArray("[1 2]") << qsizetype(3) << QStringLiteral("expected ',' or ']'");
    QTest::addRow("missing comma object")
        << QByteArray(R"({"a":1 "b":2})") << qsizetype(7) << QStringLiteral("expected ',' or '}'");
    QTest::addRow("missing colon") << QByteArray(R"({"a" 1})") << qsizetype(5) << QStringLiteral("expected ':'");
    QTest::addRow("unquoted key") << QByteArray("{a:1}") << qsizetype(1)
                                  << QStringLiteral("expected a string key or '}'");
    QTest::addRow("unterminated string") << QByteArray(R"(["abc)") << qsizetype(1)
                                         << QStringLiteral("unterminated string");
    QTest::addRow("unterminated after backslash")
        << QByteArray(R"(["abc\)") << qsizetype(1) << QStringLiteral("unterminated string");
    QTest::addRow("raw newline in string")
        << QByteArray("[\"a\nb\"]") << qsizetype(3) << QStringLiteral("control character in string");
    QTest::addRow("bad escape") << QByteArray(R"(["a\x"])") << qsizetype(3)
                                << QStringLiteral("invalid escape sequence");
    QTest::addRow("bad unicode escape") << QByteArray(R"(["\u12G4"])") << qsizetype(2)
                                        << QStringLiteral("invalid \\u escape");
    QTest::addRow("bad literal") << QByteArray("[tru]") << qsizetype(1) << QStringLiteral("invalid literal");
    QTest::addRow("literal with tail") << QByteArray("[nullx]") << qsizetype(1) << QStringLiteral("invalid literal");
    QTest::addRow("capitalised literal") << QByteArray("True") << qsizetype(0) << QStringLiteral("invalid literal");
    QTest::addRow("garbage after value") << QByteArray("{} x") << qsizetype(3)
                                         << QStringLiteral("unexpected data after the value");
    QTest::addRow("two values") << QByteArray("1 2") << qsizetype(2)
                                << QStringLiteral("unexpected data after the value");
    QTest::addRow("leading zero") << QByteArray("[01]") << qsizetype(1) << QStringLiteral("invalid number");
    QTest::addRow("bare minus") << QByteArray("[-]") << qsizetype(1) << QStringLiteral("invalid number");
    QTest::addRow("dot without digits") << QByteArray("[1.]") << qsizetype(1) << QStringLiteral("invalid number");
    QTest::addRow("exponent without digits") << QByteArray("[1e+]") << qsizetype(1) << QStringLiteral("invalid number");
    QTest::addRow("plus sign") << QByteArray("[+1]") << qsizetype(1) << QStringLiteral("expected a value");
    QTest::addRow("single quotes") << QByteArray("['a']") << qsizetype(1) << QStringLiteral("expected a value");
    QTest::addRow("unclosed array") << QByteArray("[1,2") << qsizetype(4)
                                    << QStringLiteral("unexpected end of input, expected ',' or ']'");
    QTest::addRow("unclosed object") << QByteArray(R"({"a":)") << qsizetype(5)
                                     << QStringLiteral("unexpected end of input, expected a value");
    QTest::addRow("lone close") << QByteArray("]") << qsizetype(0) << QStringLiteral("expected a value");
    QTest::addRow("mismatched close") << QByteArray("[1}") << qsizetype(2) << QStringLiteral("expected ',' or ']'");
    QTest::addRow("nul byte") << QByteArray("[1,\0]", 5) << qsizetype(3) << QStringLiteral("expected a value");
    QTest::addRow("plain text") << QByteArray("hello world") << qsizetype(0) << QStringLiteral("invalid literal");
}

void TestJsonFormat::invalid()
{
    QFETCH(QByteArray, json);
    QFETCH(qsizetype, offset);
    QFETCH(QString, message);
    const JsonFormatter::Result result = JsonFormatter::validate(json);
    QVERIFY(!result.isValid());
    QCOMPARE(result.errorMessage, message);
    QCOMPARE(result.errorOffset, offset);
}

void TestJsonFormat::errorText()
{
    QCOMPARE(
        JsonFormatter::validate("[1 2]").errorText(), QStringLiteral("invalid JSON at offset 3: expected ',' or ']'"));
}

void TestJsonFormat::visitorOrder()
{
    const QByteArray json = R"({"a":[1,"x"],"b":{},"c":null})";
    Recorder recorder(json);
    QVERIFY(JsonFormatter::parse(json, &recorder).isValid());
    const QByteArrayList expected { "{", "k\"a\"", "[", "2:1", "3:\"x\"", "]2", "k\"b\"", "{", "}0", "k\"c\"", "0:null",
        "}3" };
    QCOMPARE(recorder.log, expected);
}

void TestJsonFormat::prettyPrint_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("expected");
    QTest::addRow("scalar") << QByteArray(" 42 ") << QByteArray("42\n");
    QTest::addRow("empty containers") << QByteArray(R"({"a":{},"b":[ ]})")
                                      << QByteArray("{\n  \"a\": {},\n  \"b\": []\n}\n");
    QTest::addRow("nested") << QByteArray(R"({"name":"x","items":[1,{"k":true}],"n":null})")
                            << QByteArray("{\n"
                                          "  \"name\": \"x\",\n"
                                          "  \"items\": [\n"
                                          "    1,\n"
                                          "    {\n"
                                          "      \"k\": true\n"
                                          "    }\n"
                                          "  ],\n"
                                          "  \"n\": null\n"
                                          "}\n");
    QTest::addRow("strings kept as written")
        << QByteArray(R"(["a\"b\u00e9", -1.5e3])") << QByteArray("[\n  \"a\\\"b\\u00e9\",\n  -1.5e3\n]\n");
    QTest::addRow("whitespace dropped") << QByteArray("[\n\n 1 ,\t2\r\n]") << QByteArray("[\n  1,\n  2\n]\n");
}

void TestJsonFormat::prettyPrint()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, expected);
    QByteArray out;
    const JsonFormatter::Result result = JsonFormatter::prettyPrint(json, &out);
    QVERIFY2(result.isValid(), qPrintable(result.errorText()));
    QCOMPARE(out, expected);
    // Pretty output is JSON too, and printing it again changes nothing.
    QByteArray again;
    QVERIFY(JsonFormatter::prettyPrint(out, &again).isValid());
    QCOMPARE(again, expected);
}

void TestJsonFormat::prettyPrintIndentOptions()
{
    JsonFormatter::Options options;
    options.indent = 4;
    options.maxIndentDepth = 1;
    QByteArray out;
    QVERIFY(JsonFormatter::prettyPrint("[[1]]", &out, options).isValid());
    // The second level is indented as deep as the cap allows, no deeper.
    QCOMPARE(out, QByteArray("[\n    [\n    1\n    ]\n]\n"));
}

void TestJsonFormat::prettyPrintInvalidClearsOutput()
{
    QByteArray out = "stale";
    const JsonFormatter::Result result = JsonFormatter::prettyPrint("[1,]", &out);
    QVERIFY(!result.isValid());
    QCOMPARE(result.errorOffset, 3);
    QVERIFY(out.isEmpty());
}

void TestJsonFormat::prettyPrintOutputCap_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qsizetype>("cap");
    const QByteArray sample = R"({"name":"x","items":[1,{"k":true}],"n":null,"s":"a long string value here"})";
    QByteArray full;
    QVERIFY(JsonFormatter::prettyPrint(sample, &full).isValid());
    QTest::addRow("tiny") << sample << qsizetype(1);
    QTest::addRow("zero") << sample << qsizetype(0);
    QTest::addRow("inside a string") << sample << full.indexOf("long");
    QTest::addRow("inside indentation") << sample << full.indexOf("\"k\"") - 2;
    QTest::addRow("all but the newline") << sample << full.size() - 1;
    QTest::addRow("exactly") << sample << full.size();
    QTest::addRow("more than enough") << sample << full.size() * 2;
    QTest::addRow("flat list") << nestedAroundFlatList(1, 100000) << qsizetype(4096);
    QTest::addRow("deep arrays") << nestedArrays(100000) << qsizetype(65536);
}

// Output cut at the cap is exactly the start of the whole output, and says so; a cap the output fits in
// changes nothing.
void TestJsonFormat::prettyPrintOutputCap()
{
    QFETCH(QByteArray, json);
    QFETCH(qsizetype, cap);
    QByteArray full;
    QVERIFY(JsonFormatter::prettyPrint(json, &full).isValid());
    JsonFormatter::Options options;
    options.maxOutputBytes = cap;
    QByteArray out = "stale";
    const JsonFormatter::Result result = JsonFormatter::prettyPrint(json, &out, options);
    QVERIFY(result.isValid());
    if (cap >= full.size()) {
        QVERIFY(!result.stopped);
        QCOMPARE(out, full);
        return;
    }
    QVERIFY(result.stopped);
    QCOMPARE(out.size(), cap);
    QVERIFY(full.startsWith(out));
}

void TestJsonFormat::prettyPrintCapKeepsCharacters()
{
    // Two-byte characters: a cap in the middle of one keeps the characters before it whole.
    const QByteArray json = "[\"" + QByteArray("\xc3\xa9").repeated(100) + "\"]";
    for (qsizetype cap = 6; cap < 20; ++cap) {
        JsonFormatter::Options options;
        options.maxOutputBytes = cap;
        QByteArray out;
        QVERIFY(JsonFormatter::prettyPrint(json, &out, options).stopped);
        QVERIFY(out.size() <= cap);
        QVERIFY(out.size() >= cap - 1);
        QVERIFY(out.isValidUtf8());
        QCOMPARE(QString::fromUtf8(out).toUtf8(), out);
    }
}

void TestJsonFormat::prettyPrintPathologicalShapes_data()
{
    QTest::addColumn<QByteArray>("json");
    const qsizetype almostOneMiB = 1024 * 1024 - 64;
    QTest::addRow("64 levels around a flat list") << nestedAroundFlatList(64, almostOneMiB);
    QTest::addRow("nested arrays") << nestedArrays(int(almostOneMiB / 2));
}

// Shapes whose pretty text is 65 to 130 times the input: printed up to the cap, not to gigabytes.
void TestJsonFormat::prettyPrintPathologicalShapes()
{
    QFETCH(QByteArray, json);
    QVERIFY(json.size() > 1000000);
    JsonFormatter::Options options;
    options.maxOutputBytes = 4 * json.size();
    QByteArray out;
    const JsonFormatter::Result result = JsonFormatter::prettyPrint(json, &out, options);
    QVERIFY(result.isValid());
    QVERIFY(result.stopped);
    QCOMPARE(out.size(), options.maxOutputBytes);
    QVERIFY(out.startsWith(QByteArray(json.left(1) + '\n')));

    // A small cap ends the walk early: the part of the document it never reached may be anything.
    options.maxOutputBytes = 1000;
    QByteArray broken = json;
    broken[broken.size() / 2] = '#';
    QVERIFY(!JsonFormatter::validate(broken).isValid());
    const JsonFormatter::Result early = JsonFormatter::prettyPrint(broken, &out, options);
    QVERIFY(early.isValid());
    QVERIFY(early.stopped);
    QCOMPARE(out.size(), 1000);
}

void TestJsonFormat::deepNesting_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("rootType");
    QTest::addRow("10000 arrays") << nestedArrays(10000) << int(JsonType::Array);
    QTest::addRow("10000 objects") << nestedObjects(10000) << int(JsonType::Object);
    QTest::addRow("200000 arrays") << nestedArrays(200000) << int(JsonType::Array);
}

void TestJsonFormat::deepNesting()
{
    QFETCH(QByteArray, json);
    QFETCH(int, rootType);
    const JsonFormatter::Result result = JsonFormatter::validate(json);
    QVERIFY2(result.isValid(), qPrintable(result.errorText()));
    QCOMPARE(int(result.rootType), rootType);

    QByteArray pretty;
    QVERIFY(JsonFormatter::prettyPrint(json, &pretty).isValid());
    QVERIFY(pretty.startsWith(QByteArray(json.left(1) + '\n')));
    QVERIFY(JsonFormatter::validate(pretty).isValid());
    // The indentation cap keeps the output in proportion to the input.
    QVERIFY2(pretty.size() < json.size() * 200, QByteArray::number(pretty.size()).constData());

    // One bracket short: still an error with an offset, not a crash.
    const JsonFormatter::Result cut = JsonFormatter::validate(json.chopped(1));
    QVERIFY(!cut.isValid());
    QCOMPARE(cut.errorOffset, json.size() - 1);
}

void TestJsonFormat::bigDocument()
{
    // About 5 MB of records.
    QByteArray json = "[";
    int i = 0;
    while (json.size() < 5 * 1024 * 1024) {
        if (i > 0)
            json += ',';
        json += R"({"id":)" + QByteArray::number(i) + R"(,"name":"item \"number\" )" + QByteArray::number(i)
            + R"(","tags":["a","b"],"ok":true,"score":-1.25e2})";
        ++i;
    }
    json += "]";
    const JsonFormatter::Result result = JsonFormatter::validate(json);
    QVERIFY2(result.isValid(), qPrintable(result.errorText()));
    QByteArray pretty;
    QVERIFY(JsonFormatter::prettyPrint(json, &pretty).isValid());
    QVERIFY(pretty.contains("    \"id\": 1234,\n"));
    QVERIFY(pretty.endsWith("  }\n]\n"));

    json[json.size() / 2] = '#';
    QVERIFY(!JsonFormatter::validate(json).isValid());
}

void TestJsonFormat::mutations()
{
    // Random edits of a valid document: whatever comes out, an error points inside the input, and what is
    // valid pretty prints to valid JSON that prints the same again. (Checked against QJsonDocument while
    // writing this: it accepts more, e.g. \x escapes and raw tabs in strings, never less.)
    const QByteArray base
        = R"({"a":[1,-2.5e3,true,false,null,"x\"y\\u00e9"],"b":{"c":{},"d":[]},"e":"\u00e9\n","f":0.5})";
    const QByteArray alphabet = "{}[]:,\"\\ 0123456789-+.eEtrufalsn\n\tabx\x80\xff";
    QRandomGenerator rng(20261122);
    int valid = 0;
    for (int iteration = 0; iteration < 20000; ++iteration) {
        QByteArray doc = base;
        for (int edit = 0, edits = 1 + rng.bounded(4); edit < edits; ++edit) {
            const int pos = rng.bounded(int(doc.size()) + 1);
            const char c = alphabet[rng.bounded(int(alphabet.size()))];
            switch (rng.bounded(3)) {
            case 0:
                doc.remove(pos, 1);
                break;
            case 1:
                doc.insert(pos, c);
                break;
            default:
                if (pos < doc.size())
                    doc[pos] = c;
            }
        }
        const JsonFormatter::Result result = JsonFormatter::validate(doc);
        if (!result.isValid()) {
            QVERIFY2(result.errorOffset >= 0 && result.errorOffset <= doc.size(), doc.constData());
            QVERIFY(!result.errorMessage.isEmpty());
            continue;
        }
        ++valid;
        QByteArray pretty;
        QVERIFY2(JsonFormatter::prettyPrint(doc, &pretty).isValid(), doc.constData());
        QByteArray again;
        QVERIFY2(JsonFormatter::prettyPrint(pretty, &again).isValid(), doc.constData());
        QCOMPARE(again, pretty);
        JsonFormatter::tokenize(QString::fromUtf8(doc));
    }
    // The edits must have left a fair share valid, or the loop checked little.
    QVERIFY2(valid > 1000, QByteArray::number(valid).constData());
}

void TestJsonFormat::tokenize_data()
{
    using T = JsonTokenType;
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<JsonToken>>("tokens");
    QTest::addRow("member line") << QStringLiteral(R"(  "name": "x",)")
                                 << QList<JsonToken> { { 2, 6, T::Key }, { 8, 1, T::Punctuation }, { 10, 3, T::String },
                                        { 13, 1, T::Punctuation } };
    QTest::addRow("keywords and numbers")
        << QStringLiteral("[true, null, -1.5e3, nope]")
        << QList<JsonToken> { { 0, 1, T::Punctuation }, { 1, 4, T::Keyword }, { 5, 1, T::Punctuation },
               { 7, 4, T::Keyword }, { 11, 1, T::Punctuation }, { 13, 6, T::Number }, { 19, 1, T::Punctuation },
               { 21, 4, T::Invalid }, { 25, 1, T::Punctuation } };
    QTest::addRow("escaped quote") << QStringLiteral(
        R"("a\"b" : 1)") << QList<JsonToken> { { 0, 6, T::Key }, { 7, 1, T::Punctuation }, { 9, 1, T::Number } };
    QTest::addRow("open string") << QStringLiteral(R"(  "abc)") << QList<JsonToken> { { 2, 4, T::String } };
    QTest::addRow("trailing backslash") << QStringLiteral("\"a\\") << QList<JsonToken> { { 0, 3, T::String } };
    QTest::addRow("empty") << QString() << QList<JsonToken> {};
    QTest::addRow("garbage") << QStringLiteral("@") << QList<JsonToken> { { 0, 1, T::Invalid } };
}

void TestJsonFormat::tokenize()
{
    QFETCH(QString, text);
    QFETCH(QList<JsonToken>, tokens);
    const QList<JsonToken> actual = JsonFormatter::tokenize(text);
    QCOMPARE(actual.size(), tokens.size());
    for (qsizetype i = 0; i < tokens.size(); ++i) {
        QCOMPARE(actual[i].offset, tokens[i].offset);
        QCOMPARE(actual[i].length, tokens[i].length);
        QCOMPARE(int(actual[i].type), int(tokens[i].type));
    }
}

void TestJsonFormat::tokenizeDeepLine()
{
    // A compact deep document on one line: the lexer has no nesting state at all.
    const QString line = QString::fromLatin1(nestedArrays(10000));
    const QList<JsonToken> tokens = JsonFormatter::tokenize(line);
    QCOMPARE(tokens.size(), 20000);
    QCOMPARE(int(tokens.last().type), int(JsonTokenType::Punctuation));
}

void TestJsonFormat::unquote_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("text");
    QTest::addRow("plain") << QByteArray(R"("abc")") << QStringLiteral("abc");
    QTest::addRow("escapes") << QByteArray(R"("a\"b\\c\/d\n\t\r\b\f")") << QStringLiteral("a\"b\\c/d\n\t\r\b\f");
    QTest::addRow("bmp") << QByteArray(R"("caf\u00e9")") << QStringLiteral("caf\u00e9");
    QTest::addRow("surrogate pair") << QByteArray(R"("\uD83D\uDE00!")") << QString::fromUtf8("\xF0\x9F\x98\x80!");
    QTest::addRow("raw utf-8") << QByteArray("\"\xc3\xa9t\xc3\xa9\"") << QStringLiteral("\u00e9t\u00e9");
    QTest::addRow("empty") << QByteArray(R"("")") << QString();
}

void TestJsonFormat::unquote()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, text);
    QCOMPARE(JsonFormatter::unquote(raw), text);
}

void TestJsonFormat::unquoteLimited_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<qsizetype>("maxChars");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("cut");
    QTest::addRow("fits") << QByteArray(R"("abc")") << qsizetype(3) << QStringLiteral("abc") << false;
    QTest::addRow("plain") << QByteArray(R"("abcdef")") << qsizetype(4) << QStringLiteral("abcd") << true;
    QTest::addRow("escapes") << QByteArray(R"("a\nb\tc")") << qsizetype(3) << QStringLiteral("a\nb") << true;
    QTest::addRow("unicode escape") << QByteArray(R"("\u00e9\u00e9\u00e9")") << qsizetype(2)
                                    << QStringLiteral("\u00e9\u00e9") << true;
    // Half a surrogate pair is no character: dropped.
    QTest::addRow("surrogate pair") << QByteArray(R"("x\uD83D\uDE00")") << qsizetype(2) << QStringLiteral("x") << true;
    QTest::addRow("utf-8 never split") << QByteArray("\"\xc3\xa9\xc3\xa9\xc3\xa9\"") << qsizetype(2)
                                       << QStringLiteral("\u00e9\u00e9") << true;
    QTest::addRow("zero") << QByteArray(R"("abc")") << qsizetype(0) << QString() << true;
}

void TestJsonFormat::unquoteLimited()
{
    QFETCH(QByteArray, raw);
    QFETCH(qsizetype, maxChars);
    QFETCH(QString, text);
    QFETCH(bool, cut);
    bool wasCut = !cut;
    QCOMPARE(JsonFormatter::unquote(raw, maxChars, &wasCut), text);
    QCOMPARE(wasCut, cut);
    // What is decoded is the start of the whole.
    QVERIFY(JsonFormatter::unquote(raw).startsWith(text));

    // A megabyte key costs what its first part does.
    const QByteArray huge = '"' + QByteArray("ab\\n\xc3\xa9").repeated(200000) + '"';
    const QString head = JsonFormatter::unquote(huge, 500, &wasCut);
    QVERIFY(wasCut);
    QVERIFY(head.size() >= 499 && head.size() <= 501);
    QVERIFY(JsonFormatter::unquote(huge).startsWith(head));
}

void TestJsonFormat::quote()
{
    QCOMPARE(JsonFormatter::quote(u"say \"hi\"\\\n\x01"), QStringLiteral(R"("say \"hi\"\\\n\u0001")"));
    // What quote makes, unquote takes back.
    const QString weird = QStringLiteral("a\"b\\c\td\u00e9\U0001F600");
    QCOMPARE(JsonFormatter::unquote(JsonFormatter::quote(weird).toUtf8()), weird);
}

QTEST_GUILESS_MAIN(TestJsonFormat)
#include "tst_jsonformat.moc"
