#pragma once

// A throwaway self-signed certificate for TLS tests, made with the openssl command at test time (a private
// key is never committed). Header-only: each test executable that needs it includes it.

#include <QDir>
#include <QProcess>
#include <QStandardPaths>
#include <QString>

namespace wsi::test {

struct SelfSigned
{
    QString certificate; // PEM, CN=localhost, subjectAltName localhost and 127.0.0.1
    QString key; // PEM, unencrypted EC P-256
    QString error; // why it could not be made, when certificate is empty
};

inline SelfSigned makeSelfSigned(const QString& directory)
{
    SelfSigned out;
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty()) {
        out.error = QStringLiteral("the openssl command is needed to make a throwaway certificate (Debian package "
                                   "openssl; packaging/install-deps.sh test installs it)");
        return out;
    }
    const QString certificate = QDir(directory).filePath(QStringLiteral("cert.pem"));
    const QString key = QDir(directory).filePath(QStringLiteral("key.pem"));
    QProcess p;
    p.start(openssl,
        { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
            QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
            QStringLiteral("-keyout"), key, QStringLiteral("-out"), certificate, QStringLiteral("-days"),
            QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost"), QStringLiteral("-addext"),
            QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1") });
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        out.error = QStringLiteral("openssl failed: ") + QString::fromLocal8Bit(p.readAllStandardError());
        return out;
    }
    out.certificate = certificate;
    out.key = key;
    return out;
}

} // namespace wsi::test
