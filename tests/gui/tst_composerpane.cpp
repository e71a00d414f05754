// The composer against a real CaptureSession and its test server on port 0: what it sends must show up in the
// timeline, byte for byte.
#include "composerpane.h"
#include "core/composerlibrary.h"
#include "core/eventstore.h"
#include "net/capturesession.h"
#include "net/endpointoptions.h"

#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

#include <memory>

using namespace wsi;

namespace {

// A composer wired to a session as the main window wires it.
class Rig
{
public:
    Rig()
        : session(CaptureSession::Options { true, QString() })
        , pane(std::make_unique<ComposerPane>())
    {
        wire(pane.get());
        QObject::connect(&session, &CaptureSession::connectionStateChanged, &session,
            [this](quint32 id, ConnectionRole role, ConnectionState state) {
                if (state == ConnectionState::Open)
                    pane->addTarget(
                        id, role == ConnectionRole::Client ? session.serverUrl().toString() : QString(), role);
                else if (state != ConnectionState::Connecting)
                    pane->removeTarget(id);
            });
    }

    // The pane hears the closing handshakes of the shutdown.
    ~Rig() { session.shutdown(); }

    void wire(ComposerPane* p)
    {
        QObject::connect(p, &ComposerPane::sendRequested, &session,
            [this](const QList<quint32>& ids, bool binary, const QByteArray& payload) {
                for (quint32 id : ids) {
                    if (binary)
                        session.sendBinary(id, payload);
                    else
                        session.sendText(id, QString::fromUtf8(payload));
                }
            });
    }

    bool start()
    {
        QSignalSpy started(&session, &CaptureSession::serverStarted);
        ServerOptions options;
        options.port = 0;
        session.startServer(options);
        return started.wait(5000);
    }

    quint32 connect()
    {
        ClientOptions options;
        options.url = session.serverUrl();
        return session.connectClient(options);
    }

    // Payloads of the frames of this kind and direction on a connection, in timeline order.
    QList<QByteArray> frames(quint32 connection, EventKind kind, Direction direction = Direction::C2S) const
    {
        QList<QByteArray> payloads;
        const EventStore* store = session.store();
        for (qsizetype row = 0; row < store->count(); ++row) {
            if (store->connectionId(row) == connection && store->kind(row) == kind
                && store->direction(row) == direction)
                payloads << store->payload(row).toByteArray();
        }
        return payloads;
    }

    CaptureSession session;
    std::unique_ptr<ComposerPane> pane;
};

QLabel* messageLabel(ComposerPane* pane)
{
    return pane->findChild<QLabel*>(QStringLiteral("composerMessage"));
}

QPlainTextEdit* editor(ComposerPane* pane)
{
    return pane->findChild<QPlainTextEdit*>(QStringLiteral("composerEdit"));
}

} // namespace

class TstComposerPane : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void textAndJsonSend();
    void formatKeepsPlaceholders();
    void hexAndBase64Send_data();
    void hexAndBase64Send();
    void fileSendsItsBytes();
    void fileLimitsAndErrors();
    void invalidInputBlocks_data();
    void invalidInputBlocks();
    void counterOverRepeat_data();
    void counterOverRepeat();
    void stopHaltsLongRepeat();
    void repeatWaitsForABacklog();
    void repeatStopsWhenTargetCloses();
    void historyRecall();
    void templatesSurvive();
    void manageTemplatesDialog();
    void allTargets();
    void backgroundConnectionsKeepTheTarget();
    void thousandServerClientTargets();
    void historyIsSavedAfterAPause();
    void clearAfterSend();
    void recordedPayloadSendsSameBytes();
    void brokenLibraryIsReported();
};

void TstComposerPane::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TstComposerPane::init()
{
    QFile::remove(ComposerLibrary::defaultPath());
    QFile::remove(ComposerLibrary::defaultPath() + QLatin1String(".bad"));
    QFile::remove(ComposerLibrary::defaultPath() + QLatin1String(".bad.2"));
}

void TstComposerPane::textAndJsonSend()
{
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_COMPARE(rig.pane->targets().size(), 2); // the client and the server's side of it
    QCOMPARE(rig.pane->currentTarget(), client);

    rig.pane->setText(QStringLiteral("h\u00e9llo"));
    rig.pane->send();
    QTRY_COMPARE(rig.frames(client, EventKind::Text), QList<QByteArray> { QStringLiteral("h\u00e9llo").toUtf8() });
    QCOMPARE(rig.pane->text(), QStringLiteral("h\u00e9llo")); // kept for the next send

    rig.pane->setMode(ComposerMode::Json);
    rig.pane->setText(QStringLiteral("{\"a\":[1,2],\"b\":{}}"));
    auto* format = rig.pane->findChild<QPushButton*>(QStringLiteral("formatButton"));
    QVERIFY(format && format->isVisibleTo(rig.pane.get()));
    QTest::mouseClick(format, Qt::LeftButton);
    const QString pretty = QStringLiteral("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
    QCOMPARE(rig.pane->text(), pretty);
    rig.pane->send();
    QTRY_COMPARE(rig.frames(client, EventKind::Text).size(), 2);
    QCOMPARE(rig.frames(client, EventKind::Text).constLast(), pretty.toUtf8());
    QVERIFY(rig.frames(client, EventKind::Binary).isEmpty());
}

void TstComposerPane::formatKeepsPlaceholders()
{
    ComposerPane pane;
    pane.setMode(ComposerMode::Json);
    pane.setText(QStringLiteral("{\"n\":{{counter}},\"id\":\"{{uuid}}\",\"t\":{{isotime | json}}}"));
    pane.formatJson();
    QCOMPARE(pane.text(),
        QStringLiteral("{\n  \"n\": {{counter}},\n  \"id\": \"{{uuid}}\",\n  \"t\": {{isotime | json}}\n}"));
    QCOMPARE(pane.errorText(), QString());

    pane.setText(QStringLiteral("{\"a\": 1,\n \"b\" 2}"));
    pane.formatJson();
    QVERIFY2(pane.errorText().contains(QStringLiteral("line 2")), qPrintable(pane.errorText()));
    QCOMPARE(pane.text(), QStringLiteral("{\"a\": 1,\n \"b\" 2}"));
}

void TstComposerPane::hexAndBase64Send_data()
{
    QTest::addColumn<ComposerMode>("mode");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("hex") << ComposerMode::Hex << QStringLiteral("00 ff 10") << QByteArray("\x00\xff\x10", 3);
    QTest::newRow("hex 0x") << ComposerMode::Hex << QStringLiteral("0x00,\n0xFF, 0x10")
                            << QByteArray("\x00\xff\x10", 3);
    QTest::newRow("base64") << ComposerMode::Base64 << QStringLiteral("AP8Q") << QByteArray("\x00\xff\x10", 3);
    QTest::newRow("base64 padded") << ComposerMode::Base64 << QStringLiteral("SGVsbG8=") << QByteArray("Hello");
}

void TstComposerPane::hexAndBase64Send()
{
    QFETCH(ComposerMode, mode);
    QFETCH(QString, text);
    QFETCH(QByteArray, bytes);
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    rig.pane->setMode(mode);
    rig.pane->setText(text);
    rig.pane->send();
    QCOMPARE(rig.pane->errorText(), QString());
    QTRY_COMPARE(rig.frames(client, EventKind::Binary), QList<QByteArray> { bytes });
    QVERIFY(rig.frames(client, EventKind::Text).isEmpty());
    // The echo comes back as binary, too.
    QTRY_COMPARE(rig.frames(client, EventKind::Binary, Direction::S2C), QList<QByteArray> { bytes });
}

void TstComposerPane::fileSendsItsBytes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("payload.bin"));
    QByteArray bytes(100 * 1024 + 3, Qt::Uninitialized);
    for (char& b : bytes)
        b = char(QRandomGenerator::global()->bounded(256));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(bytes), bytes.size());
    }

    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    rig.pane->setText(QStringLiteral("the editor's text is not sent"));
    rig.pane->setMode(ComposerMode::File);
    rig.pane->setFilePath(path);
    auto* info = rig.pane->findChild<QLabel*>(QStringLiteral("fileInfoLabel"));
    QVERIFY(info && info->isVisibleTo(rig.pane.get()));
    QVERIFY2(info->text().contains(QStringLiteral("payload.bin")), qPrintable(info->text()));
    QVERIFY2(info->text().contains(QLocale().toString(bytes.size())), qPrintable(info->text()));

    rig.pane->send();
    QCOMPARE(rig.pane->errorText(), QString());
    QTRY_COMPARE(rig.frames(client, EventKind::Binary).size(), 1);
    QVERIFY(rig.frames(client, EventKind::Binary).constFirst() == bytes);
    QCOMPARE(rig.pane->message(), (ComposerMessage { ComposerMode::File, path }));
    QCOMPARE(rig.pane->history().constLast(), (ComposerMessage { ComposerMode::File, path }));
}

void TstComposerPane::fileLimitsAndErrors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ComposerPane pane;
    QSignalSpy sent(&pane, &ComposerPane::sendRequested);
    pane.addTarget(7, QStringLiteral("ws://nowhere/"));
    pane.setMode(ComposerMode::File);

    pane.send();
    QVERIFY2(pane.errorText().contains(QStringLiteral("Choose the file")), qPrintable(pane.errorText()));

    // Sparse: 64 MiB and a byte cost no disk.
    const QString big = dir.filePath(QStringLiteral("big.bin"));
    {
        QFile file(big);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.resize(ComposerPane::MaxFileBytes + 1));
    }
    pane.setFilePath(big);
    QVERIFY2(pane.errorText().contains(QStringLiteral("up to 64")), qPrintable(pane.errorText()));
    pane.send();
    QVERIFY2(pane.errorText().contains(QStringLiteral("up to 64")), qPrintable(pane.errorText()));

    // Read at send time: a file that went away is reported then.
    const QString gone = dir.filePath(QStringLiteral("gone.bin"));
    {
        QFile file(gone);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("x");
    }
    pane.setFilePath(gone);
    QCOMPARE(pane.errorText(), QString());
    QVERIFY(QFile::remove(gone));
    pane.send();
    QVERIFY2(pane.errorText().contains(QStringLiteral("could not be opened")), qPrintable(pane.errorText()));
    QVERIFY(messageLabel(&pane)->isVisibleTo(&pane));
    QCOMPARE(sent.count(), 0);
}

void TstComposerPane::invalidInputBlocks_data()
{
    QTest::addColumn<ComposerMode>("mode");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("problem");
    QTest::newRow("odd hex") << ComposerMode::Hex << QStringLiteral("00 ff 1") << QStringLiteral("odd number of hex");
    QTest::newRow("hex letter") << ComposerMode::Hex << QStringLiteral("00 zz") << QStringLiteral("'z'");
    QTest::newRow("base64") << ComposerMode::Base64 << QStringLiteral("AP8") << QStringLiteral("padding");
    QTest::newRow("base64 char") << ComposerMode::Base64 << QStringLiteral("A!8Q") << QStringLiteral("'!'");
    QTest::newRow("json") << ComposerMode::Json << QStringLiteral("{\"a\": 1,\n  \"b\": }")
                          << QStringLiteral("line 2, column 8");
    QTest::newRow("json variable") << ComposerMode::Json << QStringLiteral("{\"t\": {{isotime}}}")
                                   << QStringLiteral("once the variables are filled in");
    QTest::newRow("unknown placeholder") << ComposerMode::Text << QStringLiteral("hi {{name}}")
                                         << QStringLiteral("unknown placeholder {{name}}");
    QTest::newRow("unterminated") << ComposerMode::Json << QStringLiteral("{\"a\": {{counter}") << QStringLiteral("{{");
}

void TstComposerPane::invalidInputBlocks()
{
    QFETCH(ComposerMode, mode);
    QFETCH(QString, text);
    QFETCH(QString, problem);
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    QSignalSpy sent(rig.pane.get(), &ComposerPane::sendRequested);
    rig.pane->setMode(mode);
    QLabel* label = messageLabel(rig.pane.get());
    QVERIFY(label && !label->isVisibleTo(rig.pane.get()));

    // Checked as it is typed, after a pause.
    rig.pane->setText(text);
    QTRY_VERIFY2(rig.pane->errorText().contains(problem), qPrintable(rig.pane->errorText()));
    QVERIFY(label->isVisibleTo(rig.pane.get()));
    QCOMPARE(label->text(), rig.pane->errorText());

    rig.pane->send();
    QVERIFY2(rig.pane->errorText().contains(problem), qPrintable(rig.pane->errorText()));
    QTest::qWait(100);
    QCOMPARE(sent.count(), 0);
    QVERIFY(rig.frames(client, EventKind::Text).isEmpty());
    QVERIFY(rig.frames(client, EventKind::Binary).isEmpty());
    QVERIFY(rig.pane->history().isEmpty());

    // Fixed, the message goes and the problem goes away.
    rig.pane->setMode(ComposerMode::Text);
    rig.pane->setText(QStringLiteral("fine"));
    QTRY_COMPARE(rig.pane->errorText(), QString());
    QVERIFY(!label->isVisibleTo(rig.pane.get()));
}

void TstComposerPane::counterOverRepeat_data()
{
    QTest::addColumn<int>("interval");
    QTest::newRow("no interval") << 0;
    QTest::newRow("20 ms") << 20;
}

void TstComposerPane::counterOverRepeat()
{
    QFETCH(int, interval);
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    QSignalSpy finished(rig.pane.get(), &ComposerPane::sendFinished);
    rig.pane->setMode(ComposerMode::Json);
    rig.pane->setText(QStringLiteral("\"n{{counter}}\""));
    rig.pane->setRepeat(5, interval);
    rig.pane->send();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.constFirst().at(0).toLongLong(), 5);
    QCOMPARE(finished.constFirst().at(1).toLongLong(), 5);
    const QList<QByteArray> expected { "\"n1\"", "\"n2\"", "\"n3\"", "\"n4\"", "\"n5\"" };
    QTRY_COMPARE(rig.frames(client, EventKind::Text), expected);
    QVERIFY(!rig.pane->isRepeating());
    auto* progress = rig.pane->findChild<QLabel*>(QStringLiteral("progressLabel"));
    QVERIFY2(progress->text().contains(QStringLiteral("5 of 5")), qPrintable(progress->text()));
    // One entry in the history for the whole repeat, and the counter goes on from there.
    QCOMPARE(rig.pane->history().size(), 1);
    rig.pane->setRepeat(1, 0);
    rig.pane->send();
    QTRY_COMPARE(rig.frames(client, EventKind::Text).size(), 6);
    QCOMPARE(rig.frames(client, EventKind::Text).constLast(), QByteArray("\"n6\""));
}

void TstComposerPane::stopHaltsLongRepeat()
{
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    QSignalSpy sent(rig.pane.get(), &ComposerPane::sendRequested);
    auto* stop = rig.pane->findChild<QPushButton*>(QStringLiteral("stopButton"));
    auto* send = rig.pane->findChild<QPushButton*>(QStringLiteral("sendButton"));
    auto* progress = rig.pane->findChild<QLabel*>(QStringLiteral("progressLabel"));
    rig.pane->setText(QStringLiteral("x{{counter}}"));
    rig.pane->setRepeat(ComposerPane::MaxRepeat, 0);
    rig.pane->send();
    QVERIFY(rig.pane->isRepeating());
    // At most one batch a turn: the first one went out at once, the rest waits for the event loop.
    QCOMPARE(sent.count(), ComposerPane::RepeatBatch);
    QVERIFY(stop->isEnabled());
    QVERIFY(!send->isEnabled());
    QTRY_VERIFY(rig.pane->sentCount() >= 3 * ComposerPane::RepeatBatch);
    QVERIFY2(progress->text().endsWith(QLatin1String(" of ") + QLocale().toString(ComposerPane::MaxRepeat)),
        qPrintable(progress->text()));
    QTest::mouseClick(stop, Qt::LeftButton);
    QVERIFY(!rig.pane->isRepeating());
    const qint64 count = rig.pane->sentCount();
    QCOMPARE(qint64(sent.count()), count);
    QVERIFY(count < ComposerPane::MaxRepeat);
    QTest::qWait(200);
    QCOMPARE(qint64(sent.count()), count);
    QVERIFY2(progress->text().startsWith(QStringLiteral("Stopped")), qPrintable(progress->text()));
    QVERIFY(send->isEnabled());
    QVERIFY(!stop->isEnabled());
    // Every one of them reaches the wire, in order.
    QTRY_COMPARE(qint64(rig.frames(client, EventKind::Text).size()), count);
    QCOMPARE(rig.frames(client, EventKind::Text).constLast(), QByteArray("x") + QByteArray::number(count));

    // Esc in the editor stops, too.
    rig.pane->setRepeat(1000, 50);
    rig.pane->send();
    QVERIFY(rig.pane->isRepeating());
    rig.pane->show();
    QVERIFY(QTest::qWaitForWindowExposed(rig.pane.get()));
    editor(rig.pane.get())->setFocus();
    QTest::keyClick(editor(rig.pane.get()), Qt::Key_Escape);
    QVERIFY(!rig.pane->isRepeating());
}

// While the capture thread has many sends still to do, a repeat sends nothing more; it goes on afterwards.
void TstComposerPane::repeatWaitsForABacklog()
{
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    qint64 backlog = ComposerPane::MaxBacklog + 1;
    rig.pane->setBacklogProbe([&backlog] { return backlog; });
    QSignalSpy sent(rig.pane.get(), &ComposerPane::sendRequested);
    rig.pane->setText(QStringLiteral("y{{counter}}"));
    rig.pane->setRepeat(10 * ComposerPane::RepeatBatch, 0);
    auto* timer = rig.pane->findChild<QTimer*>(QStringLiteral("repeatTimer"));
    QVERIFY(timer);
    rig.pane->send();
    QCOMPARE(sent.count(), ComposerPane::RepeatBatch); // the first batch goes at once
    QSignalSpy polls(timer, &QTimer::timeout);
    QTest::qWait(100);
    QCOMPARE(sent.count(), ComposerPane::RepeatBatch); // then it waits
    // ... polling now and then: a 0 ms timer would spin the GUI thread (thousands of turns in 100 ms).
    QVERIFY2(polls.count() <= 100 / ComposerPane::BacklogPollMs + 5, qPrintable(QString::number(polls.count())));
    QCOMPARE(timer->interval(), ComposerPane::BacklogPollMs);
    backlog = 0;
    QTRY_COMPARE(sent.count(), 10 * ComposerPane::RepeatBatch);
    QTRY_VERIFY(!rig.pane->isRepeating());
    QCOMPARE(timer->interval(), 0); // back to full speed once the backlog cleared
}

void TstComposerPane::repeatStopsWhenTargetCloses()
{
    Rig rig;
    QVERIFY(rig.start());
    const quint32 client = rig.connect();
    QTRY_VERIFY(rig.pane->selectTarget(client));
    rig.pane->setText(QStringLiteral("tick"));
    rig.pane->setRepeat(1000, 30);
    rig.pane->send();
    QTRY_VERIFY(rig.pane->sentCount() >= 2);
    rig.session.closeConnection(client, 1000, QString());
    QTRY_VERIFY(!rig.pane->isRepeating());
    QVERIFY2(rig.pane->errorText().contains(QStringLiteral("closed")), qPrintable(rig.pane->errorText()));
    QVERIFY(rig.pane->sentCount() < 1000);
}

void TstComposerPane::historyRecall()
{
    ComposerPane pane;
    QSignalSpy sent(&pane, &ComposerPane::sendRequested);
    pane.addTarget(3, QStringLiteral("ws://example/"));
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    QPlainTextEdit* edit = editor(&pane);
    edit->setFocus();
    QTRY_VERIFY(edit->hasFocus());

    for (const char* text : { "one", "two", "two", "three" }) {
        pane.setText(QString::fromLatin1(text));
        QTest::keyClick(edit, Qt::Key_Return, Qt::ControlModifier);
    }
    QCOMPARE(sent.count(), 4);
    pane.setMode(ComposerMode::Hex);
    pane.setText(QStringLiteral("00 01"));
    pane.send();
    QCOMPARE(pane.history().size(), 4); // "two" twice in a row is kept once

    pane.setMode(ComposerMode::Text);
    pane.setText(QStringLiteral("draft"));
    QTest::keyClick(edit, Qt::Key_Up);
    QCOMPARE(pane.message(), (ComposerMessage { ComposerMode::Hex, QStringLiteral("00 01") }));
    QTest::keyClick(edit, Qt::Key_Up);
    QCOMPARE(pane.message(), (ComposerMessage { ComposerMode::Text, QStringLiteral("three") }));
    QTest::keyClick(edit, Qt::Key_Up, Qt::ControlModifier);
    QCOMPARE(pane.text(), QStringLiteral("two"));
    // An edit to a recalled message is kept while moving around.
    QTest::keyClicks(edit, QStringLiteral("!"));
    QTest::keyClick(edit, Qt::Key_Up);
    QCOMPARE(pane.text(), QStringLiteral("one"));
    QTest::keyClick(edit, Qt::Key_Up);
    QCOMPARE(pane.text(), QStringLiteral("one")); // the oldest
    QTest::keyClick(edit, Qt::Key_Down);
    QCOMPARE(pane.text(), QStringLiteral("two!"));
    QTest::keyClick(edit, Qt::Key_Down, Qt::ControlModifier);
    QCOMPARE(pane.text(), QStringLiteral("three"));
    QTest::keyClick(edit, Qt::Key_Down);
    QCOMPARE(pane.mode(), ComposerMode::Hex);
    QTest::keyClick(edit, Qt::Key_Down);
    QCOMPARE(pane.message(), (ComposerMessage { ComposerMode::Text, QStringLiteral("draft") }));
    QTest::keyClick(edit, Qt::Key_Down); // nothing newer than the draft
    QCOMPARE(pane.text(), QStringLiteral("draft"));

    // Up moves within a message of several lines before it goes back in the history.
    pane.setText(QStringLiteral("first\nsecond"));
    edit->moveCursor(QTextCursor::End);
    QTest::keyClick(edit, Qt::Key_Up);
    QCOMPARE(pane.text(), QStringLiteral("first\nsecond"));
    QTest::keyClick(edit, Qt::Key_Up);
    QCOMPARE(pane.mode(), ComposerMode::Hex);

    // The history is kept (written once the sending paused).
    QTRY_COMPARE_WITH_TIMEOUT(
        [] {
            ComposerLibrary library;
            library.load();
            return library.history().size();
        }(),
        pane.history().size(), ComposerPane::HistorySaveDelayMs * 5);
    ComposerPane again;
    QCOMPARE(again.history(), pane.history());
    QVERIFY(again.recallPrevious());
    QCOMPARE(again.message(), (ComposerMessage { ComposerMode::Hex, QStringLiteral("00 01") }));
}

void TstComposerPane::templatesSurvive()
{
    {
        ComposerPane pane;
        pane.setMode(ComposerMode::Json);
        pane.setText(QStringLiteral("{\"op\": \"login\", \"n\": {{counter}}}"));
        QVERIFY(pane.saveTemplate(QStringLiteral("Login")));
        pane.setMode(ComposerMode::Hex);
        pane.setText(QStringLiteral("de ad"));
        QVERIFY(pane.saveTemplate(QStringLiteral("dead")));
        pane.setMode(ComposerMode::Text);
        pane.setText(QStringLiteral("bye"));
        QVERIFY(pane.saveTemplate(QStringLiteral("bye")));
        QVERIFY(!pane.saveTemplate(QStringLiteral("  ")));
        QVERIFY(!pane.errorText().isEmpty());
        QCOMPARE(pane.templateNames(),
            QStringList({ QStringLiteral("bye"), QStringLiteral("dead"), QStringLiteral("Login") }));
        QVERIFY(pane.renameTemplate(QStringLiteral("Login"), QStringLiteral("sign in")));
        QVERIFY(!pane.renameTemplate(QStringLiteral("bye"), QStringLiteral("DEAD")));
        QVERIFY(pane.removeTemplate(QStringLiteral("bye")));
        // Edit: load, change, save under the same name.
        QVERIFY(pane.loadTemplate(QStringLiteral("dead")));
        QCOMPARE(pane.mode(), ComposerMode::Hex);
        pane.setText(QStringLiteral("de ad be ef"));
        QVERIFY(pane.saveTemplate(QStringLiteral("dead")));
    }

    ComposerPane pane;
    QCOMPARE(pane.libraryError(), QString());
    QCOMPARE(pane.templateNames(), QStringList({ QStringLiteral("dead"), QStringLiteral("sign in") }));
    auto* button = pane.findChild<QToolButton*>(QStringLiteral("templatesButton"));
    QVERIFY(button && button->menu());
    Q_EMIT button->menu()->aboutToShow();
    QAction* insert = nullptr;
    for (QAction* action : button->menu()->actions()) {
        if (action->text() == QLatin1String("sign in"))
            insert = action;
    }
    QVERIFY(insert);
    insert->trigger();
    QCOMPARE(pane.message(),
        (ComposerMessage { ComposerMode::Json, QStringLiteral("{\"op\": \"login\", \"n\": {{counter}}}") }));
    QVERIFY(pane.loadTemplate(QStringLiteral("DEAD")));
    QCOMPARE(pane.message(), (ComposerMessage { ComposerMode::Hex, QStringLiteral("de ad be ef") }));
}

void TstComposerPane::manageTemplatesDialog()
{
    ComposerPane pane;
    pane.setText(QStringLiteral("first text"));
    QVERIFY(pane.saveTemplate(QStringLiteral("first")));
    pane.setText(QStringLiteral("second text"));
    QVERIFY(pane.saveTemplate(QStringLiteral("second")));
    pane.setText(QString());

    // The dialog is modal: it is worked from inside its event loop.
    bool worked = false;
    QTimer::singleShot(0, &pane, [&] {
        auto* dialog = pane.findChild<QDialog*>();
        QVERIFY(dialog);
        auto* list = dialog->findChild<QListWidget*>(QStringLiteral("templatesList"));
        QVERIFY(list);
        QCOMPARE(list->count(), 2);
        list->item(0)->setText(QStringLiteral("SECOND")); // taken: refused, with the reason
        QTRY_COMPARE(list->item(0)->text(), QStringLiteral("first"));
        QVERIFY(pane.templateNames().contains(QStringLiteral("first")));
        list->item(0)->setText(QStringLiteral("zeroth"));
        QTRY_COMPARE(list->item(1)->text(), QStringLiteral("zeroth"));
        QCOMPARE(list->currentItem()->text(), QStringLiteral("zeroth"));
        QPushButton* insert = nullptr;
        for (QPushButton* button : dialog->findChildren<QPushButton*>()) {
            if (button->text() == QLatin1String("&Insert"))
                insert = button;
        }
        QVERIFY(insert);
        insert->click();
        worked = true;
    });
    auto* button = pane.findChild<QToolButton*>(QStringLiteral("templatesButton"));
    Q_EMIT button->menu()->aboutToShow();
    auto* manage = button->menu()->findChild<QAction*>(QStringLiteral("manageTemplatesAction"));
    QVERIFY(manage && manage->isEnabled());
    manage->trigger();
    QVERIFY(worked);
    QCOMPARE(pane.templateNames(), QStringList({ QStringLiteral("second"), QStringLiteral("zeroth") }));
    QCOMPARE(pane.text(), QStringLiteral("first text"));
    QCOMPARE(ComposerPane().templateNames(), pane.templateNames());
}

void TstComposerPane::allTargets()
{
    Rig rig;
    QVERIFY(rig.start());
    const quint32 first = rig.connect();
    const quint32 second = rig.connect();
    const quint32 third = rig.connect();
    QTRY_COMPARE(rig.pane->targets().size(), 6);
    // The client connection that opened last (they open in any order).
    QVERIFY(QList<quint32>({ first, second, third }).contains(rig.pane->currentTarget()));

    auto* combo = rig.pane->findChild<QComboBox*>(QStringLiteral("targetCombo"));
    QStringList items;
    for (int i = 0; i < combo->count(); ++i)
        items << combo->itemText(i);
    QVERIFY2(items.contains(QStringLiteral("All 3 client connections")), qPrintable(items.join(u'|')));
    QVERIFY2(items.contains(QStringLiteral("All 3 test server clients")), qPrintable(items.join(u'|')));

    QVERIFY(rig.pane->selectAllTargets(ConnectionRole::Client));
    QCOMPARE(rig.pane->currentTarget(), 0u);
    rig.pane->setText(QStringLiteral("to all"));
    rig.pane->send();
    for (quint32 client : { first, second, third })
        QTRY_COMPARE(rig.frames(client, EventKind::Text), QList<QByteArray> { "to all" });

    // As the server, to each of its clients: they receive it (s2c on their connection).
    QVERIFY(rig.pane->selectAllTargets(ConnectionRole::Server));
    rig.pane->setText(QStringLiteral("from the server"));
    rig.pane->send();
    for (quint32 client : { first, second, third }) {
        QTRY_VERIFY(rig.frames(client, EventKind::Text, Direction::S2C).contains("from the server"));
        QCOMPARE(rig.frames(client, EventKind::Text).size(), 1); // not echoed: the server sent it
    }

    // With one client left, "all" is no longer offered; a repeat to all goes on to the ones still open.
    rig.session.closeConnection(first, 1000, QString());
    rig.session.closeConnection(second, 1000, QString());
    QTRY_COMPARE(rig.pane->targets().size(), 2);
    QVERIFY(!rig.pane->selectAllTargets(ConnectionRole::Client));
    QCOMPARE(rig.pane->currentTarget(), third);
}

void TstComposerPane::backgroundConnectionsKeepTheTarget()
{
    ComposerPane pane;
    pane.addTarget(1, QStringLiteral("ws://a/"));
    QCOMPARE(pane.currentTarget(), 1u); // the only one
    pane.addTarget(2, QStringLiteral("ws://b/"));
    QCOMPARE(pane.currentTarget(), 1u); // a connection opening elsewhere does not take Send
    QVERIFY(pane.selectTarget(2));
    pane.addTarget(3, QStringLiteral("ws://c/"));
    pane.addTarget(10, QStringLiteral("127.0.0.1:5000"), ConnectionRole::Server);
    QCOMPARE(pane.currentTarget(), 2u);

    // The chosen connection drops and is reconnected as #4: meanwhile the newest is the target; then #4.
    pane.removeTarget(2);
    QCOMPARE(pane.currentTarget(), 3u);
    pane.followReconnect(2, 4);
    pane.addTarget(5, QStringLiteral("ws://e/")); // someone else's connection opening meanwhile
    QCOMPARE(pane.currentTarget(), 3u);
    pane.addTarget(4, QStringLiteral("ws://b/"));
    QCOMPARE(pane.currentTarget(), 4u);

    // A background connection reconnecting does not take it.
    pane.removeTarget(1);
    pane.followReconnect(1, 6);
    pane.addTarget(6, QStringLiteral("ws://a/"));
    QCOMPARE(pane.currentTarget(), 4u);

    // Nor does a test server client; a client of ours does take it from a test server client nobody chose.
    ComposerPane other;
    other.addTarget(20, QString(), ConnectionRole::Server);
    QCOMPARE(other.currentTarget(), 20u);
    other.addTarget(21, QStringLiteral("ws://x/"));
    QCOMPARE(other.currentTarget(), 21u);
    other.addTarget(22, QString(), ConnectionRole::Server);
    QCOMPARE(other.currentTarget(), 21u);
    // A label arriving later changes the item in place.
    other.addTarget(22, QStringLiteral("127.0.0.1:6000/chat"), ConnectionRole::Server);
    auto* combo = other.findChild<QComboBox*>(QStringLiteral("targetCombo"));
    QVERIFY(combo->findText(QStringLiteral("#22 test server client 127.0.0.1:6000/chat")) >= 0);
    QCOMPARE(other.targets(), QList<quint32>({ 20, 21, 22 }));
}

void TstComposerPane::thousandServerClientTargets()
{
    ComposerPane pane;
    auto* combo = pane.findChild<QComboBox*>(QStringLiteral("targetCombo"));
    QMap<quint32, ConnectionRole> open;
    // The list as it must read, built from scratch.
    auto expected = [&open] {
        QStringList clients, servers;
        for (auto it = open.cbegin(); it != open.cend(); ++it) {
            if (it.value() == ConnectionRole::Client)
                clients << QStringLiteral("#%1 ws://x/").arg(it.key());
            else
                servers << QStringLiteral("#%1 test server client 127.0.0.1:%1").arg(it.key());
        }
        QStringList items = clients;
        if (clients.size() > 1)
            items << QStringLiteral("All %1 client connections").arg(clients.size());
        if (!clients.isEmpty() && !servers.isEmpty())
            items << QStringLiteral("--");
        items << servers;
        if (servers.size() > 1)
            items << QStringLiteral("All %1 test server clients").arg(servers.size());
        return items;
    };
    auto actual = [combo] {
        QStringList items;
        for (int i = 0; i < combo->count(); ++i) {
            const bool separator = combo->itemData(i, Qt::AccessibleDescriptionRole).toString() == u"separator";
            items << (separator ? QStringLiteral("--") : combo->itemText(i));
        }
        return items;
    };
    auto add = [&](quint32 id, ConnectionRole role) {
        open.insert(id, role);
        pane.addTarget(id,
            role == ConnectionRole::Client ? QStringLiteral("ws://x/") : QStringLiteral("127.0.0.1:%1").arg(id), role);
    };
    auto remove = [&](quint32 id) {
        open.remove(id);
        pane.removeTarget(id);
    };

    // Small: every step, through every change of the separators and "All" lines.
    const QList<QPair<quint32, ConnectionRole>> steps { { 5, ConnectionRole::Server }, { 6, ConnectionRole::Server },
        { 7, ConnectionRole::Client }, { 8, ConnectionRole::Client }, { 9, ConnectionRole::Server },
        { 10, ConnectionRole::Client } };
    for (const auto& [id, role] : steps) {
        add(id, role);
        QCOMPARE(actual(), expected());
    }
    for (quint32 id : { 7u, 5u, 10u, 8u, 9u, 6u }) {
        remove(id);
        QCOMPARE(actual(), expected());
        QCOMPARE(pane.currentTarget() == 0, open.isEmpty());
    }

    // A thousand test server clients, with client connections coming and going among them.
    for (quint32 id = 100; id < 1100; ++id) {
        add(id, id % 100 == 0 ? ConnectionRole::Client : ConnectionRole::Server);
        if (id % 250 == 0)
            remove(id - 100);
    }
    QCOMPARE(actual(), expected());
    for (quint32 id = 100; id < 1100; id += 3)
        remove(id);
    QCOMPARE(actual(), expected());
    const QList<quint32> left = open.keys();
    QCOMPARE(pane.targets(), left);
    for (auto it = left.crbegin(); it != left.crend(); ++it)
        remove(*it);
    QCOMPARE(combo->count(), 0);
    QCOMPARE(pane.currentTarget(), 0u);
}

void TstComposerPane::historyIsSavedAfterAPause()
{
    auto savedHistory = [] {
        ComposerLibrary library;
        library.load();
        QStringList texts;
        for (const ComposerMessage& m : library.history())
            texts << m.text;
        return texts;
    };
    {
        ComposerPane pane;
        pane.addTarget(3, QStringLiteral("ws://example/"));
        for (const QString& text : { QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("three") }) {
            pane.setText(text);
            pane.send();
        }
        QCOMPARE(pane.history().size(), 3);
        // Not written at every send...
        QCOMPARE(savedHistory(), QStringList());
        // ... but once sending pauses.
        QTRY_COMPARE_WITH_TIMEOUT(savedHistory(),
            QStringList({ QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("three") }),
            ComposerPane::HistorySaveDelayMs * 5);
        pane.setText(QStringLiteral("four"));
        pane.send();
        QCOMPARE(savedHistory().size(), 3);
    }
    // A pane going away writes what is pending.
    QCOMPARE(savedHistory().constLast(), QStringLiteral("four"));
}

void TstComposerPane::clearAfterSend()
{
    {
        ComposerPane pane;
        QVERIFY(!pane.clearAfterSend());
        pane.addTarget(1, QStringLiteral("ws://example/"));
        pane.setClearAfterSend(true);
        pane.setText(QStringLiteral("gone after sending"));
        pane.send();
        QCOMPARE(pane.text(), QString());
        QCOMPARE(pane.history().constLast().text, QStringLiteral("gone after sending"));
    }
    ComposerPane pane;
    QVERIFY(pane.clearAfterSend());
    auto* more = pane.findChild<QToolButton*>(QStringLiteral("composerMoreButton"));
    auto* action = more->menu()->findChild<QAction*>(QStringLiteral("clearAfterSendAction"));
    QVERIFY(action && action->isChecked());
    action->trigger();
    QVERIFY(!pane.clearAfterSend());
}

void TstComposerPane::recordedPayloadSendsSameBytes()
{
    ComposerPane pane;
    QSignalSpy sent(&pane, &ComposerPane::sendRequested);
    pane.addTarget(1, QStringLiteral("ws://example/"));

    const QByteArray text = R"(literal {{counter}} and \{{x}} stay)";
    QVERIFY(pane.setPayload(text, false));
    QCOMPARE(pane.mode(), ComposerMode::Text);
    pane.send();
    QCOMPARE(sent.count(), 1);
    QCOMPARE(sent.constLast().at(1).toBool(), false);
    QCOMPARE(sent.constLast().at(2).toByteArray(), text);

    const QByteArray binary("\x00\x01\xfe\xff", 4);
    QVERIFY(pane.setPayload(binary, true));
    QCOMPARE(pane.mode(), ComposerMode::Hex);
    QCOMPARE(pane.text(), QStringLiteral("00 01 fe ff"));
    pane.send();
    QCOMPARE(sent.constLast().at(1).toBool(), true);
    QCOMPARE(sent.constLast().at(2).toByteArray(), binary);

    // Text that is not UTF-8 can only be sent as the bytes it is.
    QVERIFY(pane.setPayload(QByteArray("\xc3\x28", 2), false));
    QCOMPARE(pane.mode(), ComposerMode::Hex);
    QVERIFY(!pane.setPayload(QByteArray(ComposerPane::MaxPayloadHexBytes + 1, 'x'), true));
}

void TstComposerPane::brokenLibraryIsReported()
{
    const QString path = ComposerLibrary::defaultPath();
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{ not json");
    }
    ComposerPane pane;
    QVERIFY2(pane.libraryError().contains(QStringLiteral("composer.json.bad")), qPrintable(pane.libraryError()));
    QCOMPARE(pane.errorText(), pane.libraryError());
    QVERIFY(QFile::exists(path + QLatin1String(".bad")));
    // It works all the same.
    QVERIFY(pane.saveTemplate(QStringLiteral("t")));
    QCOMPARE(ComposerPane().templateNames(), QStringList { QStringLiteral("t") });
}

QTEST_MAIN(TstComposerPane)
#include "tst_composerpane.moc"
