#include "core/composermessage.h"

#include <QTest>

using namespace wsi;

class TstComposerMessage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modeNames();
    void hex_data();
    void hex();
    void base64_data();
    void base64();
    void position();
};

void TstComposerMessage::modeNames()
{
    for (ComposerMode mode :
        { ComposerMode::Text, ComposerMode::Json, ComposerMode::Hex, ComposerMode::Base64, ComposerMode::File })
        QCOMPARE(ComposerMessage::modeFromName(ComposerMessage::modeName(mode)), mode);
    QVERIFY(!ComposerMessage::modeFromName(u"binary"));
    QVERIFY(ComposerMessage::isBinary(ComposerMode::File) && !ComposerMessage::isBinary(ComposerMode::Json));
}

void TstComposerMessage::hex_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("bytes"); // null when the text is an error
    QTest::addColumn<QString>("error");
    QTest::newRow("spaced") << QStringLiteral("00 ff 10") << QByteArray("\x00\xff\x10", 3) << QString();
    QTest::newRow("packed") << QStringLiteral("00FF10") << QByteArray("\x00\xff\x10", 3) << QString();
    QTest::newRow("0x commas") << QStringLiteral("0x00, 0xFF,0X10") << QByteArray("\x00\xff\x10", 3) << QString();
    QTest::newRow("0x run") << QStringLiteral("0x00ff10") << QByteArray("\x00\xff\x10", 3) << QString();
    QTest::newRow("lines") << QStringLiteral(" 48 65\n\t6c 6c\r\n6f ") << QByteArray("Hello") << QString();
    QTest::newRow("empty") << QString() << QByteArray("") << QString();
    QTest::newRow("odd") << QStringLiteral("00 ff 1") << QByteArray() << QStringLiteral("odd number of hex digits (5)");
    QTest::newRow("letter") << QStringLiteral("00 fg") << QByteArray() << QStringLiteral("'g' at line 1, column 5");
    QTest::newRow("second line") << QStringLiteral("00\n0z") << QByteArray() << QStringLiteral("line 2, column 2");
    QTest::newRow("bare 0x") << QStringLiteral("00 0x") << QByteArray() << QStringLiteral("0x at line 1, column 4");
    QTest::newRow("semicolon") << QStringLiteral("00;ff") << QByteArray() << QStringLiteral("';'");
}

void TstComposerMessage::hex()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    QString reason;
    const std::optional<QByteArray> decoded = ComposerMessage::decodeHex(text, &reason);
    if (error.isEmpty()) {
        QVERIFY2(decoded, qPrintable(reason));
        QCOMPARE(*decoded, bytes);
    } else {
        QVERIFY(!decoded);
        QVERIFY2(reason.contains(error), qPrintable(reason));
    }
}

void TstComposerMessage::base64_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");
    QTest::newRow("three bytes") << QStringLiteral("AP8Q") << QByteArray("\x00\xff\x10", 3) << QString();
    QTest::newRow("one pad") << QStringLiteral("aGk=") << QByteArray("hi") << QString();
    QTest::newRow("two pads") << QStringLiteral("aA==") << QByteArray("h") << QString();
    QTest::newRow("wrapped") << QStringLiteral("SGVs\nbG8=\n") << QByteArray("Hello") << QString();
    QTest::newRow("all bytes") << QString::fromLatin1(QByteArray(256, '\0').toBase64()) << QByteArray(256, '\0')
                               << QString();
    QTest::newRow("empty") << QString() << QByteArray("") << QString();
    QTest::newRow("no padding") << QStringLiteral("aGk") << QByteArray() << QStringLiteral("without its '=' padding");
    QTest::newRow("lone char") << QStringLiteral("AP8QA") << QByteArray() << QStringLiteral("single character");
    QTest::newRow("bad char") << QStringLiteral("AP*Q") << QByteArray() << QStringLiteral("'*' at line 1, column 3");
    QTest::newRow("url alphabet") << QStringLiteral("AP_Q") << QByteArray() << QStringLiteral("base64url");
    QTest::newRow("data after pad") << QStringLiteral("aA==AP8Q") << QByteArray() << QStringLiteral("after the '='");
    QTest::newRow("pad in middle") << QStringLiteral("a=AA") << QByteArray() << QStringLiteral("padding can only");
    QTest::newRow("half pad") << QStringLiteral("aA=") << QByteArray() << QStringLiteral("middle of its '=' padding");
}

void TstComposerMessage::base64()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    QString reason;
    const std::optional<QByteArray> decoded = ComposerMessage::decodeBase64(text, &reason);
    if (error.isEmpty()) {
        QVERIFY2(decoded, qPrintable(reason));
        QCOMPARE(*decoded, bytes);
    } else {
        QVERIFY(!decoded);
        QVERIFY2(reason.contains(error), qPrintable(reason));
    }
}

void TstComposerMessage::position()
{
    QCOMPARE(ComposerMessage::position(u"ab\ncd", 0), QStringLiteral("line 1, column 1"));
    QCOMPARE(ComposerMessage::position(u"ab\ncd", 4), QStringLiteral("line 2, column 2"));
    QCOMPARE(ComposerMessage::position(u"ab\ncd", 99), QStringLiteral("line 2, column 3"));
}

QTEST_GUILESS_MAIN(TstComposerMessage)
#include "tst_composermessage.moc"
