#include "wire/httphead.h"
#include "wire/permessagedeflate.h"

#include <QList>
#include <QRandomGenerator>
#include <QTest>

#include <optional>

using namespace wsi;

namespace {

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out.append(char(v));
    return out;
}

QByteArray noise(qsizetype size, quint32 seed)
{
    QByteArray out((size + 3) / 4 * 4, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32*>(out.data()), out.size() / 4);
    out.truncate(size);
    return out;
}

// Text that compresses well and refers back a long way: a word list repeated with variations.
QByteArray prose(qsizetype size, quint32 seed)
{
    static const char* const words[] = { "socket ", "frame ", "message ", "deflate ", "window ", "inspector ",
        "{\"type\":\"tick\",", "\"price\":", "12.5", "}\n" };
    QRandomGenerator rng(seed);
    QByteArray out;
    while (out.size() < size)
        out += words[rng.bounded(10)];
    out.truncate(size);
    return out;
}

HttpHead response(const QList<QByteArray>& extensionHeaders)
{
    HttpHead head;
    head.status = 101;
    head.reason = "Switching Protocols";
    head.headers.append(HttpHeader("Upgrade", "websocket"));
    for (const QByteArray& value : extensionHeaders)
        head.headers.append(HttpHeader("Sec-WebSocket-Extensions", value));
    return head;
}

DeflateParams params(bool serverReset, bool clientReset, int serverBits, int clientBits)
{
    DeflateParams p;
    p.serverNoContextTakeover = serverReset;
    p.clientNoContextTakeover = clientReset;
    p.serverMaxWindowBits = serverBits;
    p.clientMaxWindowBits = clientBits;
    return p;
}

} // namespace

Q_DECLARE_METATYPE(std::optional<DeflateParams>)

class TestPerMessageDeflate : public QObject
{
    Q_OBJECT

private slots:
    void negotiated_data();
    void negotiated();
    void rfcExamples_data();
    void rfcExamples();
    void deflaterMatchesRfc();
    void roundTrip_data();
    void roundTrip();
    void resetInflaterCannotFollowSharedWindow();
    void sizeLimit();
    void corruptStreamBreaksInflater();
};

void TestPerMessageDeflate::negotiated_data()
{
    QTest::addColumn<QList<QByteArray>>("headers");
    QTest::addColumn<std::optional<DeflateParams>>("expected");
    QTest::addColumn<QByteArray>("error"); // part of the error, empty when none

    const DeflateParams plain;
    using L = QList<QByteArray>;
    QTest::newRow("no header") << L {} << std::optional<DeflateParams>() << QByteArray();
    QTest::newRow("other extension only")
        << L { "x-webkit-deflate-frame; no_context_takeover" } << std::optional<DeflateParams>() << QByteArray();
    QTest::newRow("bare") << L { "permessage-deflate" } << std::optional(plain) << QByteArray();
    QTest::newRow("name in any case") << L { "PerMessage-Deflate" } << std::optional(plain) << QByteArray();
    QTest::newRow("server_no_context_takeover") << L { "permessage-deflate; server_no_context_takeover" }
                                                << std::optional(params(true, false, 15, 15)) << QByteArray();
    QTest::newRow("client_no_context_takeover") << L { "permessage-deflate;client_no_context_takeover" }
                                                << std::optional(params(false, true, 15, 15)) << QByteArray();
    QTest::newRow("server_max_window_bits") << L { "permessage-deflate; server_max_window_bits=10" }
                                            << std::optional(params(false, false, 10, 15)) << QByteArray();
    QTest::newRow("client_max_window_bits") << L { "permessage-deflate; client_max_window_bits = 8" }
                                            << std::optional(params(false, false, 15, 8)) << QByteArray();
    QTest::newRow("client_max_window_bits without value")
        << L { "permessage-deflate; client_max_window_bits" } << std::optional(plain) << QByteArray();
    QTest::newRow("quoted value") << L { "permessage-deflate; server_max_window_bits=\"12\"" }
                                  << std::optional(params(false, false, 12, 15)) << QByteArray();
    QTest::newRow("everything") << L { "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                                       "server_max_window_bits=9; client_max_window_bits=11" }
                                << std::optional(params(true, true, 9, 11)) << QByteArray();
    QTest::newRow("after another extension") << L { "x-foo; a=\"1,2\", permessage-deflate; client_no_context_takeover" }
                                             << std::optional(params(false, true, 15, 15)) << QByteArray();
    QTest::newRow("in a second header line")
        << L { "x-foo", "permessage-deflate; server_max_window_bits=15" } << std::optional(plain) << QByteArray();
    QTest::newRow("empty list elements") << L { ", permessage-deflate ,," } << std::optional(plain) << QByteArray();

    QTest::newRow("accepted twice") << L { "permessage-deflate, permessage-deflate; server_no_context_takeover" }
                                    << std::optional<DeflateParams>() << QByteArray("accepted twice");
    QTest::newRow("duplicate parameter") << L {
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover"
    } << std::optional<DeflateParams>() << QByteArray("repeated parameter server_no_context_takeover");
    QTest::newRow("duplicate bits") << L { "permessage-deflate; client_max_window_bits=9; client_max_window_bits=10" }
                                    << std::optional<DeflateParams>() << QByteArray("repeated parameter");
    QTest::newRow("unknown parameter") << L { "permessage-deflate; mystery=1" } << std::optional<DeflateParams>()
                                       << QByteArray("unknown parameter mystery");
    QTest::newRow("bits 7") << L { "permessage-deflate; server_max_window_bits=7" } << std::optional<DeflateParams>()
                            << QByteArray("not a window size of 8 to 15 bits");
    QTest::newRow("bits 16") << L { "permessage-deflate; client_max_window_bits=16" } << std::optional<DeflateParams>()
                             << QByteArray("not a window size");
    QTest::newRow("bits leading zero") << L { "permessage-deflate; client_max_window_bits=09" }
                                       << std::optional<DeflateParams>() << QByteArray("not a window size");
    QTest::newRow("bits not a number") << L { "permessage-deflate; server_max_window_bits=ten" }
                                       << std::optional<DeflateParams>() << QByteArray("not a window size");
    QTest::newRow("server bits without value") << L { "permessage-deflate; server_max_window_bits" }
                                               << std::optional<DeflateParams>() << QByteArray("needs a value");
    QTest::newRow("flag with a value") << L { "permessage-deflate; server_no_context_takeover=1" }
                                       << std::optional<DeflateParams>() << QByteArray("takes no value");
    QTest::newRow("unterminated quote") << L { "permessage-deflate; server_max_window_bits=\"10" }
                                        << std::optional<DeflateParams>() << QByteArray("unterminated quoted value");
    QTest::newRow("missing parameter name")
        << L { "permessage-deflate; ; x" } << std::optional<DeflateParams>() << QByteArray("expected a parameter name");
    QTest::newRow("garbage") << L { "permessage-deflate @" } << std::optional<DeflateParams>()
                             << QByteArray("malformed Sec-WebSocket-Extensions");
    QTest::newRow("missing value") << L { "permessage-deflate; server_max_window_bits=" }
                                   << std::optional<DeflateParams>() << QByteArray("expected a value");
}

void TestPerMessageDeflate::negotiated()
{
    QFETCH(QList<QByteArray>, headers);
    QFETCH(std::optional<DeflateParams>, expected);
    QFETCH(QByteArray, error);
    QByteArray why = "stale";
    const std::optional<DeflateParams> got = negotiatedDeflate(response(headers), &why);
    QCOMPARE(got.has_value(), expected.has_value());
    if (expected)
        QVERIFY(*got == *expected);
    if (error.isEmpty())
        QVERIFY2(why.isEmpty(), why.constData());
    else
        QVERIFY2(why.contains(error), why.constData());
    // A null error pointer is fine.
    QCOMPARE(negotiatedDeflate(response(headers), nullptr).has_value(), expected.has_value());
}

void TestPerMessageDeflate::rfcExamples_data()
{
    QTest::addColumn<QList<QByteArray>>("messages"); // compressed, in order
    QTest::addColumn<bool>("noContextTakeover");
    QTest::addColumn<QList<QByteArray>>("expected");

    using L = QList<QByteArray>;
    const QByteArray hello = bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 });
    QTest::newRow("7.2.3.1 Hello") << L { hello } << false << L { "Hello" };
    QTest::newRow("7.2.3.2 shared window")
        << L { hello, bytes({ 0xf2, 0x00, 0x11, 0x00, 0x00 }) } << false << L { "Hello", "Hello" };
    QTest::newRow("7.2.3.2 without shared window") << L { hello, hello } << true << L { "Hello", "Hello" };
    QTest::newRow("7.2.3.3 stored block")
        << L { bytes({ 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00 }) } << false << L { "Hello" };
    QTest::newRow("7.2.3.4 BFINAL") << L { bytes({ 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00 }) } << false
                                    << L { "Hello" };
    QTest::newRow("7.2.3.6 empty message") << L { bytes({ 0x00 }), hello } << false << L { "", "Hello" };
    QTest::newRow("two fragments joined")
        << L { bytes({ 0xf2, 0x48, 0xcd }) + bytes({ 0xc9, 0xc9, 0x07, 0x00 }) } << false << L { "Hello" };
}

void TestPerMessageDeflate::rfcExamples()
{
    QFETCH(QList<QByteArray>, messages);
    QFETCH(bool, noContextTakeover);
    QFETCH(QList<QByteArray>, expected);
    MessageInflater inflater(15, noContextTakeover);
    QList<QByteArray> got;
    for (const QByteArray& m : messages) {
        QByteArray out = "stale";
        QByteArray error;
        QVERIFY2(inflater.inflate(m, &out, 1024, &error), error.constData());
        got.append(out);
    }
    QCOMPARE(got, expected);
    QVERIFY(!inflater.isBroken());
}

void TestPerMessageDeflate::deflaterMatchesRfc()
{
    // zlib at its default level writes exactly the RFC's examples.
    MessageDeflater deflater(15, false);
    QCOMPARE(deflater.deflate("Hello"), bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 }));
    QCOMPARE(deflater.deflate("Hello"), bytes({ 0xf2, 0x00, 0x11, 0x00, 0x00 }));
    QCOMPARE(deflater.deflate({}), bytes({ 0x00 }));
    MessageDeflater resetting(15, true);
    QCOMPARE(resetting.deflate("Hello"), bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 }));
    QCOMPARE(resetting.deflate("Hello"), bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 }));
}

void TestPerMessageDeflate::roundTrip_data()
{
    QTest::addColumn<int>("windowBits");
    QTest::addColumn<bool>("noContextTakeover");
    for (int bits : { 8, 9, 10, 12, 15 }) {
        for (bool reset : { false, true })
            QTest::addRow("%d bits, %s", bits, reset ? "no context takeover" : "context takeover") << bits << reset;
    }
}

void TestPerMessageDeflate::roundTrip()
{
    QFETCH(int, windowBits);
    QFETCH(bool, noContextTakeover);
    const QList<QByteArray> messages = { prose(5000, 1), prose(5000, 1), QByteArray(), noise(70000, 2),
        prose(200000, 3), QByteArray(100000, 'z'), prose(17, 4), prose(5000, 1) };
    MessageDeflater deflater(windowBits, noContextTakeover);
    MessageInflater inflater(windowBits, noContextTakeover);
    for (const QByteArray& m : messages) {
        const QByteArray z = deflater.deflate(m);
        QByteArray out;
        QByteArray error;
        QVERIFY2(inflater.inflate(z, &out, m.size(), &error), error.constData());
        QCOMPARE(out.size(), m.size());
        QVERIFY(out == m);
    }
    QVERIFY(!inflater.isBroken());
}

void TestPerMessageDeflate::resetInflaterCannotFollowSharedWindow()
{
    // The second message refers back into the first one: an inflater that resets between messages fails on it
    // and stays broken.
    MessageInflater inflater(15, true);
    QByteArray out;
    QByteArray error;
    QVERIFY(inflater.inflate(bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 }), &out, 100, &error));
    QVERIFY(!inflater.inflate(bytes({ 0xf2, 0x00, 0x11, 0x00, 0x00 }), &out, 100, &error));
    QVERIFY2(error.startsWith("invalid compressed data: "), error.constData());
    QVERIFY(inflater.isBroken());
    QVERIFY(out.isEmpty());
}

void TestPerMessageDeflate::sizeLimit()
{
    const QByteArray big = prose(300000, 7);
    MessageDeflater deflater(15, true);
    const QByteArray z = deflater.deflate(big);
    {
        MessageInflater inflater(15, true);
        QByteArray out;
        QByteArray error;
        QVERIFY2(inflater.inflate(z, &out, big.size(), &error), error.constData()); // exactly at the limit
        QVERIFY(out == big);
        QVERIFY(inflater.inflate(z, &out, big.size() + 1, &error));
        QVERIFY(out == big);
    }
    {
        MessageInflater inflater(15, true);
        QByteArray out;
        QByteArray error;
        QVERIFY(!inflater.inflate(z, &out, big.size() - 1, &error));
        QCOMPARE(error, "inflated message larger than the limit of " + QByteArray::number(big.size() - 1) + " bytes");
        QVERIFY(out.isEmpty());
        QVERIFY(inflater.isBroken());
    }
    {
        // A tiny limit on a bomb: 10 MB of zeros in about 10 KB.
        MessageDeflater bombs(15, true);
        const QByteArray bomb = bombs.deflate(QByteArray(10 * 1000 * 1000, '\0'));
        QVERIFY(bomb.size() < 20000);
        MessageInflater inflater(15, true);
        QByteArray out;
        QByteArray error;
        QVERIFY(!inflater.inflate(bomb, &out, 4096, &error));
        QVERIFY(error.contains("larger than the limit of 4096 bytes"));
    }
    {
        MessageInflater inflater(15, true);
        QByteArray out;
        QByteArray error;
        QVERIFY(!inflater.inflate(bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 }), &out, 0, &error));
        QVERIFY(inflater.inflate({}, &out, 0, &error) == false); // broken from here on
    }
}

void TestPerMessageDeflate::corruptStreamBreaksInflater()
{
    MessageInflater inflater(15, false);
    QByteArray out;
    QByteArray error;
    QVERIFY(!inflater.inflate(bytes({ 0xff, 0xff, 0xff }), &out, 1000, &error));
    QVERIFY2(error.startsWith("invalid compressed data: "), error.constData());
    QVERIFY(inflater.isBroken());
    error.clear();
    QVERIFY(!inflater.inflate(bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 }), &out, 1000, &error));
    QVERIFY(error.contains("lost"));
}

QTEST_GUILESS_MAIN(TestPerMessageDeflate)
#include "tst_permessagedeflate.moc"
