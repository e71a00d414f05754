#include "commandline.h"

#include "../core/messagetemplate.h"
#include "../formats/redaction.h"
#include "../formats/sessionformat.h"
#include "../replay/jsonpathpattern.h"
#include "../wire/httphead.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QHostAddress>

#include <algorithm>
#include <cmath>

namespace wsi {

namespace {
constexpr int MinPushIntervalMs = 10;
constexpr int MaxPushIntervalMs = 3600000;
constexpr int MinPingIntervalMs = 10;
constexpr int MaxPingIntervalMs = 3600000;

CommandLine failure(const QString& why)
{
    CommandLine c;
    c.action = CommandLine::Action::Error;
    c.error = why;
    return c;
}

std::optional<quint16> parsePort(const QString& text, bool allowZero)
{
    bool ok = false;
    const uint port = text.toUInt(&ok);
    if (!ok || port > 65535 || (!allowZero && port == 0))
        return std::nullopt;
    return quint16(port);
}

std::optional<qint64> parseSize(const QString& text)
{
    // Accepts plain bytes or a K/M/G suffix (powers of 1024).
    QString t = text.trimmed().toUpper();
    qint64 factor = 1;
    if (t.endsWith(u'K') || t.endsWith(u'M') || t.endsWith(u'G')) {
        factor = t.endsWith(u'K') ? 1024 : t.endsWith(u'M') ? 1024 * 1024 : qint64(1024) * 1024 * 1024;
        t.chop(1);
    }
    bool ok = false;
    const qint64 n = t.toLongLong(&ok);
    // The event store keeps sizes in 32 bits; 1 GiB is far beyond any sane message anyway.
    if (!ok || n <= 0 || n > (qint64(1) << 30) / factor)
        return std::nullopt;
    return n * factor;
}

// --max-message-size and --max-connections of a command that listens (serve, proxy), read and explained alike:
// the reason the value (null when the option had none) is not one, or an empty string with *out set.
QString maxMessageSizeOption(QStringView command, const QString* v, qint64* out)
{
    if (!v)
        return QStringLiteral("%1: --max-message-size needs a size").arg(command);
    const auto size = parseSize(*v);
    if (!size)
        return QStringLiteral("%1: invalid size \u201c%2\u201d (1 byte to 1G; bytes, or with K/M/G)").arg(command, *v);
    *out = *size;
    return {};
}

QString maxConnectionsOption(QStringView command, const QString* v, int* out)
{
    if (!v)
        return QStringLiteral("%1: --max-connections needs a number").arg(command);
    bool ok = false;
    const int n = v->toInt(&ok);
    if (!ok || n < 1)
        return QStringLiteral("%1: invalid connection limit \u201c%2\u201d").arg(command, *v);
    *out = n;
    return {};
}

bool isValidWsUrl(const QUrl& url)
{
    return url.isValid() && !url.host().isEmpty()
        && (url.scheme() == QLatin1StringView("ws") || url.scheme() == QLatin1StringView("wss"));
}

// The value after the option at i, moving i onto it; false when there is none.
bool takeValue(const QStringList& args, qsizetype& i, QString* out)
{
    if (i + 1 >= args.size())
        return false;
    *out = args[++i];
    return true;
}

// A number of milliseconds from min to max.
std::optional<int> intervalMs(const QString& text, int min, int max)
{
    bool ok = false;
    const int ms = text.toInt(&ok);
    if (!ok || ms < min || ms > max)
        return std::nullopt;
    return ms;
}

bool isHelpOption(const QString& a)
{
    return a == QLatin1StringView("--help") || a == QLatin1StringView("-h");
}

CommandLine helpRequest()
{
    CommandLine help;
    help.action = CommandLine::Action::Help;
    return help;
}

CommandLine parseServe(const QStringList& args)
{
    CommandLine c;
    c.action = CommandLine::Action::Serve;
    c.server.port = 8765;
    bool hasPushTemplate = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        auto value = [&](QString* out) { return takeValue(args, i, out); };
        QString v;
        if (isHelpOption(a))
            return helpRequest();
        if (a == QLatin1StringView("--host")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --host needs an address"));
            c.server.host = v;
        } else if (a == QLatin1StringView("--port")) {
            if (!value(&v))
                return failure(QStringLiteral("serve: --port needs a number"));
            const auto port = parsePort(v, true);
            if (!port)
                return failure(
                    QStringLiteral("serve: invalid port \u201c%1\u201d (0 to 65535; 0 picks a free one)").arg(v));
            c.server.port = *port;
        } else if (a == QLatin1StringView("--mode")) {
            if (!value(&v))
                return failure(QStringLiteral("serve: --mode needs echo, broadcast or silent"));
            if (v == QLatin1StringView("echo"))
                c.server.behaviour.mode = ServerMode::Echo;
            else if (v == QLatin1StringView("broadcast"))
                c.server.behaviour.mode = ServerMode::Broadcast;
            else if (v == QLatin1StringView("silent"))
                c.server.behaviour.mode = ServerMode::Silent;
            else
                return failure(QStringLiteral("serve: unknown mode \u201c%1\u201d (echo, broadcast or silent)").arg(v));
        } else if (a == QLatin1StringView("--broadcast-to-sender")) {
            c.server.behaviour.broadcastToSender = true;
        } else if (a == QLatin1StringView("--rules")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --rules needs a file name"));
            c.rulesFile = v;
        } else if (a == QLatin1StringView("--push-every")) {
            if (!value(&v))
                return failure(QStringLiteral("serve: --push-every needs a number of milliseconds"));
            const auto ms = intervalMs(v, MinPushIntervalMs, MaxPushIntervalMs);
            if (!ms)
                return failure(QStringLiteral("serve: invalid push interval \u201c%1\u201d (%2 to %3 ms)")
                                   .arg(v)
                                   .arg(MinPushIntervalMs)
                                   .arg(MaxPushIntervalMs));
            c.server.behaviour.pushEveryMs = *ms;
        } else if (a == QLatin1StringView("--push")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --push needs a message template"));
            QString error;
            if (!MessageTemplate::compile(v, &error))
                return failure(QStringLiteral("serve: --push: ") + error);
            c.server.behaviour.pushTemplate = v;
            hasPushTemplate = true;
        } else if (a == QLatin1StringView("--subprotocol")) {
            if (!value(&v) || !isHttpToken(v))
                return failure(QStringLiteral("serve: --subprotocol needs a name without spaces or commas"));
            c.server.subprotocols.append(v);
        } else if (a == QLatin1StringView("--allow-origin")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --allow-origin needs an origin, e.g. http://localhost:5173"));
            c.server.allowedOrigins.append(v);
        } else if (a == QLatin1StringView("--tls-cert")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --tls-cert needs a PEM certificate file"));
            c.server.tlsCertificatePath = v;
        } else if (a == QLatin1StringView("--tls-key")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --tls-key needs a PEM private key file"));
            c.server.tlsKeyPath = v;
        } else if (a == QLatin1StringView("--record")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("serve: --record needs a file name"));
            c.recordFile = v;
        } else if (a == QLatin1StringView("--max-message-size")) {
            const bool given = value(&v);
            if (const QString problem = maxMessageSizeOption(u"serve", given ? &v : nullptr, &c.server.maxMessageBytes);
                !problem.isEmpty())
                return failure(problem);
        } else if (a == QLatin1StringView("--max-connections")) {
            const bool given = value(&v);
            if (const QString problem = maxConnectionsOption(u"serve", given ? &v : nullptr, &c.server.maxConnections);
                !problem.isEmpty())
                return failure(problem);
        } else {
            return failure(QStringLiteral("serve: unknown option \u201c%1\u201d (see wsinspector --help)").arg(a));
        }
    }
    if ((c.server.behaviour.pushEveryMs > 0) != hasPushTemplate)
        return failure(QStringLiteral("serve: --push-every and --push go together (an interval and a template)"));
    if (c.server.tlsCertificatePath.isEmpty() != c.server.tlsKeyPath.isEmpty())
        return failure(QStringLiteral("serve: --tls-cert and --tls-key go together (a certificate and its key)"));
    return c;
}

CommandLine parseConnect(const QStringList& args)
{
    CommandLine c;
    c.action = CommandLine::Action::Connect;
    QString urlText;
    bool hasAuthorizationHeader = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        auto value = [&](QString* out) { return takeValue(args, i, out); };
        QString v;
        if (isHelpOption(a))
            return helpRequest();
        if (a == QLatin1StringView("-H") || a == QLatin1StringView("--header")) {
            if (!value(&v))
                return failure(QStringLiteral("connect: %1 needs a header, e.g. -H \"X-Token: abc\"").arg(a));
            const qsizetype colon = v.indexOf(u':');
            const QString name = colon < 0 ? QString() : v.left(colon);
            const QString headerValue = colon < 0 ? QString() : v.mid(colon + 1).trimmed();
            if (colon < 0 || !isHttpToken(name))
                return failure(
                    QStringLiteral("connect: invalid header \u201c%1\u201d (expected \"Name: value\", the name "
                                   "without spaces)")
                        .arg(v));
            if (const QString problem = extraHeaderProblem(name, headerValue); !problem.isEmpty())
                return failure(QStringLiteral("connect: -H %1: %2").arg(name, problem));
            if (name.compare(QLatin1StringView("Authorization"), Qt::CaseInsensitive) == 0)
                hasAuthorizationHeader = true;
            c.client.headers.append({ name.toUtf8(), headerValue.toUtf8() });
        } else if (a == QLatin1StringView("--subprotocol")) {
            if (!value(&v) || !isHttpToken(v))
                return failure(QStringLiteral("connect: --subprotocol needs a name without spaces or commas"));
            if (!c.client.subprotocols.contains(v))
                c.client.subprotocols.append(v);
        } else if (a == QLatin1StringView("--origin")) {
            if (!value(&v) || v.isEmpty() || !isHttpFieldValue(v))
                return failure(QStringLiteral("connect: --origin needs an origin, e.g. http://localhost:5173"));
            c.client.origin = v;
        } else if (a == QLatin1StringView("--bearer") || a == QLatin1StringView("--basic")) {
            const auto kind = a == QLatin1StringView("--bearer") ? ClientAuth::Kind::Bearer : ClientAuth::Kind::Basic;
            ClientAuth auth;
            auth.kind = kind;
            const bool hasValue = value(&v);
            if (hasValue && v.startsWith(u'@')) {
                // A secret on the command line is visible to every user's `ps`; the command reads it from the
                // file (parsing has no side effects).
                if (v.size() == 1)
                    return failure(QStringLiteral("connect: %1 @FILE needs a file name").arg(a));
                c.authFile = v.mid(1);
            } else if (const QString problem = CommandLine::authFromValue(kind, hasValue ? v : QString(), &auth);
                       !problem.isEmpty()) {
                return failure(QStringLiteral("connect: ") + problem);
            }
            if (c.client.auth.kind != ClientAuth::Kind::None)
                return failure(QStringLiteral("connect: give only one of --bearer and --basic"));
            c.client.auth = auth;
        } else if (a == QLatin1StringView("--insecure") || a == QLatin1StringView("-k")) {
            c.client.ignoreCertificateErrors = true;
        } else if (a == QLatin1StringView("--send")) {
            if (!value(&v))
                return failure(QStringLiteral("connect: --send needs a message"));
            c.sendTexts.append(v);
        } else if (a == QLatin1StringView("--send-file")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("connect: --send-file needs a file name"));
            if (!c.sendFile.isEmpty())
                return failure(QStringLiteral("connect: only one --send-file"));
            c.sendFile = v;
        } else if (a == QLatin1StringView("--ping-every")) {
            if (!value(&v))
                return failure(QStringLiteral("connect: --ping-every needs a number of milliseconds"));
            const auto ms = intervalMs(v, MinPingIntervalMs, MaxPingIntervalMs);
            if (!ms)
                return failure(QStringLiteral("connect: invalid ping interval \u201c%1\u201d (%2 to %3 ms)")
                                   .arg(v)
                                   .arg(MinPingIntervalMs)
                                   .arg(MaxPingIntervalMs));
            c.client.pingIntervalMs = *ms;
        } else if (a == QLatin1StringView("--record")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("connect: --record needs a file name"));
            c.recordFile = v;
        } else if (a == QLatin1StringView("--interactive") || a == QLatin1StringView("-i")) {
            c.interactive = true;
        } else if (a.startsWith(u'-') && a.size() > 1) {
            return failure(QStringLiteral("connect: unknown option \u201c%1\u201d (see wsinspector --help)").arg(a));
        } else if (urlText.isNull()) {
            urlText = a;
        } else {
            return failure(
                QStringLiteral("connect: one URL only (got \u201c%1\u201d and \u201c%2\u201d)").arg(urlText, a));
        }
    }
    if (urlText.isNull())
        return failure(QStringLiteral("connect needs a ws:// or wss:// URL"));
    const QUrl url = QUrl::fromUserInput(urlText);
    if (!isValidWsUrl(url))
        return failure(QStringLiteral("connect: \u201c%1\u201d is not a ws:// or wss:// URL").arg(urlText));
    if (hasAuthorizationHeader && c.client.auth.kind != ClientAuth::Kind::None)
        return failure(QStringLiteral("connect: give either -H Authorization or --bearer/--basic, not both"));
    c.client.url = url;
    return c;
}
// The same path once made absolute and cleaned: "a.jsonl" and "./x/../a.jsonl" are one file. Links are the
// command's business (it may look at the file system; parsing does not).
QString comparablePath(const QString& path)
{
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

CommandLine parseConvert(const QStringList& args)
{
    CommandLine c;
    c.action = CommandLine::Action::Convert;
    QStringList paths;
    bool optionsEnded = false;
    for (const QString& a : args) {
        if (!optionsEnded && isHelpOption(a))
            return helpRequest();
        if (!optionsEnded && a == QLatin1StringView("--include-secrets")) {
            c.includeSecrets = true;
        } else if (!optionsEnded && a == QLatin1StringView("--")) {
            optionsEnded = true; // a file whose name starts with a dash follows
        } else if (!optionsEnded && a.startsWith(u'-') && a.size() > 1) {
            return failure(QStringLiteral("convert: unknown option \u201c%1\u201d (see wsinspector --help)").arg(a));
        } else {
            paths.append(a);
        }
    }
    if (paths.size() > 2)
        return failure(
            QStringLiteral("convert: one input and one output only (\u201c%1\u201d is one too many)").arg(paths.at(2)));
    if (paths.size() < 2)
        return failure(paths.isEmpty()
                ? QStringLiteral("convert needs an input and an output file: wsinspector convert IN OUT")
                : QStringLiteral("convert: missing the output file, whose extension picks the format (%1)")
                      .arg(CommandLine::convertExtensions()));
    if (paths.at(0).isEmpty() || paths.at(1).isEmpty())
        return failure(QStringLiteral("convert: a file name is empty"));
    if (!sessionFormatForPath(paths.at(1)))
        return failure(QStringLiteral("convert: cannot tell the output format from the name \u201c%1\u201d (known "
                                      "extensions: %2)")
                           .arg(paths.at(1), CommandLine::convertExtensions()));
    if (comparablePath(paths.at(0)) == comparablePath(paths.at(1)))
        return failure(
            QStringLiteral("convert: the input and the output are the same file (\u201c%1\u201d)").arg(paths.at(1)));
    c.convertInput = paths.at(0);
    c.convertOutput = paths.at(1);
    return c;
}

CommandLine parseReplay(const QStringList& args)
{
    CommandLine c;
    c.action = CommandLine::Action::Replay;
    c.server.port = 8765;
    // Which options were given, to check after the loop that they fit the role (--as may come last).
    QStringList clientOnly;
    QStringList serverOnly;
    bool speedGiven = false;
    bool optionsEnded = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        auto value = [&](QString* out) { return takeValue(args, i, out); };
        QString v;
        if (optionsEnded || !a.startsWith(u'-') || a.size() == 1) {
            if (!c.replayFile.isEmpty())
                return failure(QStringLiteral("replay: one session file only (got \u201c%1\u201d and \u201c%2\u201d)")
                                   .arg(c.replayFile, a));
            if (a.isEmpty())
                return failure(QStringLiteral("replay: the session file name is empty"));
            c.replayFile = a;
            continue;
        }
        if (isHelpOption(a))
            return helpRequest();
        if (a == QLatin1StringView("--")) {
            optionsEnded = true;
        } else if (a == QLatin1StringView("--as")) {
            if (!value(&v) || (v != QLatin1StringView("client") && v != QLatin1StringView("server")))
                return failure(QStringLiteral("replay: --as needs client or server"));
            c.replayRole = v == QLatin1StringView("server") ? ReplayRole::Server : ReplayRole::Client;
        } else if (a == QLatin1StringView("--url")) {
            if (!value(&v))
                return failure(QStringLiteral("replay: --url needs a ws:// or wss:// URL"));
            const QUrl url = QUrl::fromUserInput(v);
            if (!isValidWsUrl(url))
                return failure(QStringLiteral("replay: \u201c%1\u201d is not a ws:// or wss:// URL").arg(v));
            c.replayUrl = url;
            clientOnly.append(a);
        } else if (a == QLatin1StringView("--connection")) {
            bool ok = false;
            const uint id = value(&v) ? v.toUInt(&ok) : 0;
            if (!ok || id == 0)
                return failure(QStringLiteral("replay: --connection needs a connection id (1, 2, ...)"));
            c.replayConnection = id;
        } else if (a == QLatin1StringView("--speed")) {
            bool ok = false;
            const double speed = value(&v) ? v.toDouble(&ok) : 0;
            // Below 0.01 a recorded second takes minutes: a typo more likely than a wish (and 0 means something).
            if (!ok || !std::isfinite(speed) || speed < 0 || (speed > 0 && speed < 0.01) || speed > 1000)
                return failure(
                    QStringLiteral("replay: invalid speed \u201c%1\u201d (a factor such as 0.25, 1, 2 or 10, "
                                   "from 0.01 to 1000; 0 is as fast as possible)")
                        .arg(v));
            c.replaySpeed = speed;
            speedGiven = true;
        } else if (a == QLatin1StringView("--paced")) {
            c.replayPaced = true;
            clientOnly.append(a);
        } else if (a == QLatin1StringView("--reply-timeout")) {
            if (!value(&v))
                return failure(QStringLiteral("replay: --reply-timeout needs a number of milliseconds"));
            const auto ms = intervalMs(v, 10, 3600000);
            if (!ms)
                return failure(
                    QStringLiteral("replay: invalid reply timeout \u201c%1\u201d (10 to 3600000 ms)").arg(v));
            c.replyTimeoutMs = *ms;
            clientOnly.append(a);
        } else if (a == QLatin1StringView("--ignore-path")) {
            if (!value(&v))
                return failure(QStringLiteral("replay: --ignore-path needs a JSON path, e.g. $.ts or $.items[*].id"));
            QString error;
            if (!JsonPathPattern::parse(v, &error))
                return failure(QStringLiteral("replay: --ignore-path: ") + error);
            c.ignorePaths.append(v);
            clientOnly.append(a);
        } else if (a == QLatin1StringView("--expect")) {
            c.expect = true;
            clientOnly.append(a);
        } else if (a == QLatin1StringView("--host")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("replay: --host needs an address"));
            c.server.host = v;
            serverOnly.append(a);
        } else if (a == QLatin1StringView("--port")) {
            if (!value(&v))
                return failure(QStringLiteral("replay: --port needs a number"));
            const auto port = parsePort(v, true);
            if (!port)
                return failure(
                    QStringLiteral("replay: invalid port \u201c%1\u201d (0 to 65535; 0 picks a free one)").arg(v));
            c.server.port = *port;
            serverOnly.append(a);
        } else if (a == QLatin1StringView("--loop")) {
            c.replayLoop = true;
            serverOnly.append(a);
        } else if (a == QLatin1StringView("--answer")) {
            c.replayAnswer = true;
            serverOnly.append(a);
        } else if (a == QLatin1StringView("--record")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("replay: --record needs a file name"));
            c.recordFile = v;
        } else {
            return failure(QStringLiteral("replay: unknown option \u201c%1\u201d (see wsinspector --help)").arg(a));
        }
    }
    if (c.replayFile.isEmpty())
        return failure(QStringLiteral("replay needs a session file (.jsonl or .har): wsinspector replay FILE"));
    if (c.replayPaced && speedGiven)
        return failure(QStringLiteral("replay: give either --speed or --paced (paced replay keeps no time)"));
    const bool asServer = c.replayRole == ReplayRole::Server;
    if (asServer && !clientOnly.isEmpty())
        return failure(QStringLiteral("replay: %1 is for --as client").arg(clientOnly.first()));
    if (!asServer && !serverOnly.isEmpty())
        return failure(QStringLiteral("replay: %1 is for --as server").arg(serverOnly.first()));
    // The schedule looped with no time in it would be sent in a tight circle for ever (answer mode is paced by
    // the client).
    if (asServer && c.replayLoop && !c.replayAnswer && c.replaySpeed == 0)
        return failure(QStringLiteral("replay: --loop with --speed 0 would send the recording in a tight circle for "
                                      "ever; give a speed above 0, or --answer"));
    if (!c.recordFile.isEmpty() && comparablePath(c.recordFile) == comparablePath(c.replayFile))
        return failure(
            QStringLiteral("replay: --record names the session being replayed (\u201c%1\u201d)").arg(c.recordFile));
    return c;
}

// --listen's value: "PORT" (on 127.0.0.1), "HOST:PORT" or "[IPV6]:PORT"; the reason when it is none of them.
QString parseListen(const QString& text, QString* host, quint16* port)
{
    const QString usage = QStringLiteral("expected PORT, HOST:PORT or [IPV6]:PORT");
    QString hostPart;
    QString portPart = text;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0 || text.mid(close + 1, 1) != QLatin1StringView(":"))
            return QStringLiteral("invalid listen address \u201c%1\u201d (%2)").arg(text, usage);
        hostPart = text.mid(1, close - 1);
        portPart = text.mid(close + 2);
        if (QHostAddress(hostPart).protocol() != QAbstractSocket::IPv6Protocol)
            return QStringLiteral("invalid IPv6 address \u201c%1\u201d in \u201c%2\u201d").arg(hostPart, text);
    } else if (const qsizetype colon = text.indexOf(u':'); colon >= 0) {
        // "::1:9000" could be read more than one way; brackets make it one.
        if (text.indexOf(u':', colon + 1) >= 0)
            return QStringLiteral("an IPv6 address goes in brackets, e.g. [::1]:9000 (got \u201c%1\u201d)").arg(text);
        hostPart = text.left(colon);
        portPart = text.mid(colon + 1);
        if (hostPart.isEmpty())
            return QStringLiteral("invalid listen address \u201c%1\u201d (%2)").arg(text, usage);
    }
    const auto number = parsePort(portPart, true);
    if (!number)
        return QStringLiteral("invalid port \u201c%1\u201d in \u201c%2\u201d (0 to 65535; 0 picks a free one)")
            .arg(portPart, text);
    if (!hostPart.isEmpty())
        *host = hostPart;
    *port = *number;
    return {};
}

CommandLine parseProxy(const QStringList& args)
{
    CommandLine c;
    c.action = CommandLine::Action::Proxy;
    bool hasListen = false;
    QString upstreamText;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        auto value = [&](QString* out) { return takeValue(args, i, out); };
        QString v;
        if (isHelpOption(a))
            return helpRequest();
        if (a == QLatin1StringView("--listen")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("proxy: --listen needs [HOST:]PORT, e.g. 9000 or 127.0.0.1:9000"));
            if (hasListen)
                return failure(QStringLiteral("proxy: only one --listen"));
            if (const QString problem = parseListen(v, &c.proxy.host, &c.proxy.port); !problem.isEmpty())
                return failure(QStringLiteral("proxy: --listen: ") + problem);
            hasListen = true;
        } else if (a == QLatin1StringView("--upstream")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("proxy: --upstream needs a ws:// or wss:// URL"));
            if (!upstreamText.isNull())
                return failure(QStringLiteral("proxy: only one --upstream"));
            upstreamText = v;
        } else if (a == QLatin1StringView("--insecure") || a == QLatin1StringView("-k")) {
            c.proxy.ignoreCertificateErrors = true;
        } else if (a == QLatin1StringView("--origin")) {
            if (!value(&v) || v.isEmpty() || !isHttpFieldValue(v))
                return failure(QStringLiteral("proxy: --origin needs an origin, e.g. http://localhost:5173"));
            c.proxy.origin = v;
        } else if (a == QLatin1StringView("--record")) {
            if (!value(&v) || v.isEmpty())
                return failure(QStringLiteral("proxy: --record needs a file name"));
            c.recordFile = v;
        } else if (a == QLatin1StringView("--max-message-size")) {
            const bool given = value(&v);
            if (const QString problem = maxMessageSizeOption(u"proxy", given ? &v : nullptr, &c.proxy.maxMessageBytes);
                !problem.isEmpty())
                return failure(problem);
        } else if (a == QLatin1StringView("--max-connections")) {
            const bool given = value(&v);
            if (const QString problem = maxConnectionsOption(u"proxy", given ? &v : nullptr, &c.proxy.maxConnections);
                !problem.isEmpty())
                return failure(problem);
        } else {
            return failure(QStringLiteral("proxy: unknown option \u201c%1\u201d (see wsinspector --help)").arg(a));
        }
    }
    if (!hasListen)
        return failure(QStringLiteral("proxy needs --listen [HOST:]PORT, e.g. --listen 9000"));
    if (upstreamText.isNull())
        return failure(QStringLiteral("proxy needs --upstream URL, the ws:// or wss:// server to relay to"));
    // Strict parsing: fromUserInput would turn "localhost:8080" into an http:// URL and hide the mistake.
    const QUrl upstream(upstreamText, QUrl::StrictMode);
    // Checked first, so that no message below repeats the password. The proxy passes on each client's own
    // Authorization and Cookie headers; a user name and password in the URL would reach nobody, and only end up
    // in the record and on the screen.
    if (!upstream.userInfo().isEmpty() || redaction::withoutUserInfo(upstreamText) != upstreamText)
        return failure(QStringLiteral("proxy: --upstream must not hold a user name or password (USER:PASSWORD@): "
                                      "the proxy passes on each client's own Authorization and Cookie headers"));
    if (!isValidWsUrl(upstream))
        return failure(QStringLiteral("proxy: --upstream \u201c%1\u201d is not a ws:// or wss:// URL with a host")
                           .arg(upstreamText));
    c.proxy.upstream = upstream;
    return c;
}

} // namespace

QString CommandLine::convertExtensions()
{
    return QStringLiteral(".jsonl, .har, .csv, .txt, .log, .pcap");
}

QString CommandLine::authFromValue(ClientAuth::Kind kind, const QString& value, ClientAuth* auth)
{
    if (kind == ClientAuth::Kind::Bearer) {
        if (value.isEmpty() || value.contains(u' ') || !isHttpFieldValue(value))
            return QStringLiteral("--bearer needs a token without spaces");
        auth->kind = kind;
        auth->token = value;
        return {};
    }
    // RFC 7617: the user name cannot contain a colon, the password can.
    const qsizetype colon = value.indexOf(u':');
    if (kind != ClientAuth::Kind::Basic || colon <= 0 || !isHttpFieldValue(value))
        return QStringLiteral("--basic needs USER:PASSWORD");
    auth->kind = kind;
    auth->user = value.left(colon);
    auth->password = value.mid(colon + 1);
    return {};
}

CommandLine CommandLine::parse(const QStringList& arguments)
{
    const QStringList args = arguments.mid(1);
    if (!args.isEmpty()) {
        const QString& command = args.front();
        if (command == QLatin1StringView("serve"))
            return parseServe(args.mid(1));
        if (command == QLatin1StringView("connect"))
            return parseConnect(args.mid(1));
        if (command == QLatin1StringView("convert"))
            return parseConvert(args.mid(1));
        if (command == QLatin1StringView("replay"))
            return parseReplay(args.mid(1));
        if (command == QLatin1StringView("proxy"))
            return parseProxy(args.mid(1));
    }
    CommandLine c;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        if (a == QLatin1StringView("--version") || a == QLatin1StringView("-v")) {
            c.action = Action::Version;
            return c;
        }
        if (isHelpOption(a))
            return helpRequest();
        if (a == QLatin1StringView("--serve")) {
            c.guiServePort = 8765;
            // The port is optional: take the next argument only when it is a number. A number that is no
            // port is a mistake, not the name of a file to open.
            if (i + 1 < args.size() && !args[i + 1].startsWith(u'-')) {
                const QString& next = args[i + 1];
                if (const auto port = parsePort(next, true)) {
                    c.guiServePort = *port;
                    ++i;
                } else if (std::all_of(next.cbegin(), next.cend(), [](QChar ch) { return ch.isDigit(); })) {
                    return failure(
                        QStringLiteral("--serve: invalid port \u201c%1\u201d (0 to 65535; 0 picks a free one)")
                            .arg(next));
                }
            }
        } else if (a == QLatin1StringView("--connect")) {
            if (i + 1 >= args.size())
                return failure(QStringLiteral("--connect needs a ws:// or wss:// URL"));
            const QUrl url = QUrl::fromUserInput(args[++i]);
            if (!isValidWsUrl(url))
                return failure(QStringLiteral("--connect: \u201c%1\u201d is not a ws:// or wss:// URL").arg(args[i]));
            c.guiConnectUrl = url;
        } else if (a.startsWith(u'-')) {
            return failure(QStringLiteral("unknown option \u201c%1\u201d (see wsinspector --help)").arg(a));
        } else if (c.file.isEmpty()) {
            c.file = a;
        } else {
            return failure(
                QStringLiteral("only one file can be opened (got \u201c%1\u201d and \u201c%2\u201d)").arg(c.file, a));
        }
    }
    return c;
}

QString CommandLine::helpText()
{
    return QStringLiteral(
        "WebSocket Inspector %1: client, test server and timeline for WebSocket developers.\n"
        "\n"
        "Usage:\n"
        "  wsinspector [FILE]                 start the GUI; FILE (a .jsonl session or a .har file) is opened\n"
        "  wsinspector --serve [PORT]         start the GUI with the test server running (default port 8765)\n"
        "  wsinspector --connect URL          start the GUI with a client connected to URL\n"
        "  wsinspector serve [OPTIONS]        run the test server headless\n"
        "  wsinspector connect URL [OPTIONS]  connect to a ws:// or wss:// server headless, like wscat\n"
        "  wsinspector replay FILE [OPTIONS] replay a recorded connection against a server, or serve it back\n"
        "  wsinspector proxy --listen [HOST:]PORT --upstream URL [OPTIONS]\n"
        "                                     relay clients to a ws:// or wss:// server, recording every frame\n"
        "  wsinspector convert IN OUT [--include-secrets]\n"
        "                                     convert a session file (.jsonl or .har); OUT's extension\n"
        "                                     picks the format\n"
        "  wsinspector --version | --help\n"
        "\n"
        "serve options:\n"
        "  --host H                  address to listen on (default 127.0.0.1)\n"
        "  --port N                  port (default 8765; 0 picks a free one)\n"
        "  --mode echo|broadcast|silent\n"
        "                            echo every message to its sender (default), send it to every other\n"
        "                            client (a chat), or only record it\n"
        "  --broadcast-to-sender     with --mode broadcast, send each message back to its sender too\n"
        "  --rules FILE              auto-reply rules (JSON); the first that matches a message answers it,\n"
        "                            otherwise the mode applies\n"
        "  --push-every MS --push TEMPLATE\n"
        "                            every MS milliseconds, send TEMPLATE to every client\n"
        "  --subprotocol P           accept subprotocol P (repeatable; the client's first accepted offer wins)\n"
        "  --allow-origin O          accept only upgrades whose Origin is O (repeatable; others get 403)\n"
        "  --tls-cert F --tls-key F  serve wss:// with this PEM certificate (chain) and unencrypted key\n"
        "  --record FILE             journal the session to FILE (default: a new file in the sessions folder)\n"
        "  --max-message-size SIZE   largest message accepted, e.g. 1048576 or 16M (default 64M)\n"
        "  --max-connections N       most clients at once (default 1000; more get 503)\n"
        "\n"
        "Templates (--push, rule replies): {{message}}, {{json.a.b}}, {{1}} (regex group), {{counter}},\n"
        "{{timestamp}} (ms), {{isotime}}, {{uuid}}, {{random A B}}; add |json for a JSON literal\n"
        "({{json.name|json}} gives \"Ann\" quoted and escaped, or null). A plain HTTP GET of / on the server's\n"
        "port returns a browser test page that connects back to it.\n"
        "\n"
        "serve prints \"listening on ws://HOST:PORT/\" first, then one line per event; SIGINT or SIGTERM\n"
        "closes the connections, flushes the record file and exits with 0. Bad arguments exit with 2.\n"
        "\n"
        "connect options:\n"
        "  -H \"Name: value\"          add a header to the upgrade request (repeatable)\n"
        "  --subprotocol P           offer subprotocol P (repeatable, in order of preference)\n"
        "  --origin O                send Origin: O\n"
        "  --bearer TOKEN|@FILE      send Authorization: Bearer TOKEN\n"
        "  --basic USER:PASSWORD|@FILE\n"
        "                            send Authorization: Basic with USER and PASSWORD\n"
        "                            (a token or password on the command line is visible to other users in\n"
        "                            `ps`; @FILE reads it from FILE instead, without its trailing newline)\n"
        "  --insecure, -k            wss: accept any certificate (unsafe; noted in the record)\n"
        "  --send TEXT               once connected, send TEXT (repeatable, in order)\n"
        "  --send-file F             then send the content of F as one binary message (at most 64 MiB)\n"
        "  --ping-every MS           send a keep-alive ping every MS milliseconds\n"
        "  --record FILE             journal the session to FILE (default: a new file in the sessions folder)\n"
        "  --interactive, -i         send each line typed on the terminal as a text message\n"
        "\n"
        "connect prints each message from the server on stdout, one line each: text as \"< TEXT\" (line breaks\n"
        "as \\n), binary as \"< [binary N bytes] HEX\" (the first 64 bytes); the connection, pings, pongs,\n"
        "closes and errors go to stderr, prefixed with \"! \". When stdin is not a terminal, each of its lines\n"
        "is sent as a text message and its end closes the connection (1000). SIGINT or SIGTERM closes with\n"
        "1001 and exits with 0, as does a server closing with 1000 or 1001; a failed connection (refused, DNS,\n"
        "TLS, handshake rejected, dropped) or another close code exits with 1.\n"
        "\n"
        "replay options:\n"
        "  --as client|server        play the client's messages to a server (default), or be a mock server\n"
        "                            that plays the recorded server's messages to whoever connects\n"
        "  --connection ID           the recorded connection to replay (default: the first with messages to\n"
        "                            send; an unknown ID lists the ones FILE has)\n"
        "  --speed X                 the recorded timing scaled: 0.25, 1 (default), 2, 10 (0.01 to 1000); 0\n"
        "                            is as fast as possible\n"
        "  --record FILE             journal the session to FILE (default: a new file in the sessions folder)\n"
        "as client:\n"
        "  --url URL                 connect here instead of the recorded URL (the recorded headers, origin\n"
        "                            and subprotocols are sent again; values redacted in FILE are not)\n"
        "  --paced                   instead of keeping time, wait before each message until the server has\n"
        "                            sent as many messages as it had at that point in the recording\n"
        "  --reply-timeout MS        the longest wait for replies, before a paced message and at the end\n"
        "                            (default 10000); a paced wait that runs out is reported, then the\n"
        "                            replay goes on\n"
        "  --expect                  compare the server's messages with the recording and exit with 1 when\n"
        "                            they differ, printing each difference, e.g. \"message 3 differs at\n"
        "                            $.price: recorded 10, received 12\"; after the last reply it listens\n"
        "                            the whole --reply-timeout for messages the recording did not have\n"
        "  --ignore-path P           leave JSON path P out of the comparison (repeatable): $.ts, $.items[2],\n"
        "                            $.items[*].id (any element), $..id (at any depth), $[\"odd key\"]\n"
        "as server:\n"
        "  --host H, --port N        where to listen (default 127.0.0.1:8765; port 0 picks a free one)\n"
        "  --answer                  send the messages the recorded server sent after its k-th client\n"
        "                            message when a client sends its k-th message (those before the first\n"
        "                            at the open), instead of on the recorded schedule\n"
        "  --loop                    start over after the last message (with --answer: answer messages\n"
        "                            beyond the recorded ones as the first ones were); not with --speed 0\n"
        "                            unless --answer\n"
        "\n"
        "replay as client prints \"> MESSAGE\" for each message sent and \"< MESSAGE\" for each one received,\n"
        "then how it ended and how the server's messages compare with the recording, and exits with 0 when\n"
        "every message was sent (1 on a connection error, or with --expect when anything differs). As server\n"
        "it prints \"listening on ws://HOST:PORT/\" first, then one line per event, and runs until SIGINT or\n"
        "SIGTERM (exit 0). A file that cannot be read, or holds nothing to replay, exits with 1.\n"
        "\n"
        "proxy options:\n"
        "  --listen [HOST:]PORT      where clients connect: 9000, 127.0.0.1:9000 or [::1]:9000 (the host is\n"
        "                            127.0.0.1 when only a port is given; port 0 picks a free one)\n"
        "  --upstream URL            the ws:// or wss:// server each client is relayed to; the client's path\n"
        "                            and query are appended to URL's. No USER:PASSWORD@ in URL: each\n"
        "                            client's own Authorization and Cookie headers are passed on\n"
        "  --insecure, -k            wss upstream: accept any certificate (unsafe; noted in the record)\n"
        "  --origin O                send Origin: O upstream instead of the client's own\n"
        "  --record FILE             journal the session to FILE (default: a new file in the sessions folder)\n"
        "  --max-message-size SIZE   largest message recorded with its payload, e.g. 1048576 or 16M (default\n"
        "                            64M); a larger one is relayed all the same, recorded without it\n"
        "  --max-connections N       most clients at once (default 1000)\n"
        "\n"
        "proxy prints \"proxying ws://HOST:PORT/ -> URL\" first (token query values as [redacted]), then one\n"
        "line per event. The bytes pass unchanged both ways; every frame is recorded, compressed messages\n"
        "(permessage-deflate) decompressed. A client whose upstream cannot be reached gets HTTP 502, a plain\n"
        "HTTP request 426. SIGINT or SIGTERM closes both sides of every connection (1001), flushes the record\n"
        "file and exits with 0; a port that cannot be listened on exits with 1.\n"
        "\n"
        "convert reads IN, a session (.jsonl) or a HAR file (.har, as browsers and HTTP Toolkit save them; the\n"
        "content decides, not the name), skipping with a warning on stderr the lines or entries it cannot read,\n"
        "and writes OUT as .jsonl (a session), .har, .csv, .txt or .log (a readable log), or .pcap (for\n"
        "Wireshark), replacing OUT only when all went well. Secrets (Authorization, Cookie, Set-Cookie and\n"
        "*-Token/-Key/-Secret headers, URL user info, token query parameters, credentials passed as\n"
        "subprotocols) are written as [redacted] unless --include-secrets is given.\n"
        "It prints \"wrote N events in M connections to OUT (FORMAT)\" and exits with 0; an input it cannot\n"
        "read or an output it cannot write exits with 1.\n")
        .arg(QStringLiteral(WSI_VERSION));
}

} // namespace wsi
