#pragma once

#include <QCoreApplication>
#include <QString>
#include <QUrl>

class QComboBox;
class QLabel;
class QSpinBox;
class QWidget;

namespace wsi {

/*
 * The pieces every pane that listens (the test server, the proxy) shows the same way: where it listens, what
 * that exposes, and how it is told to the user, in one translation context. Each pane names its own widgets
 * (objectName), so that tests and settings tell them apart.
 */
class ListenAddress
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ListenAddress)

public:
    // An editable host field offering 127.0.0.1, localhost and 0.0.0.0, each with what it means.
    static QComboBox* newHostCombo(QWidget* parent, const char* objectName);
    // A port field, 0 standing for "any free".
    static QSpinBox* newPortSpin(QWidget* parent, const char* objectName, int port);
    // Why host cannot be listened on, as a sentence for the user; empty when it can.
    static QString hostProblem(const QString& host);
    // Under the host field: who can connect when listening on host; hidden for an empty host.
    static void showHostHint(QLabel* hint, const QString& host);
    // A browser (or a client the user pastes the URL into) cannot open the wildcard address a listener is bound to;
    // the same port on loopback reaches the same listener.
    static QUrl connectableUrl(QUrl url);
    // Asks before listening beyond loopback: title and text say what would be exposed, startText names the button
    // that goes ahead. True when the user chose to go ahead.
    static bool confirmExposure(QWidget* parent, const QString& title, const QString& text, const QString& startText);
};

} // namespace wsi
