#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QStringView>

#include <optional>

namespace wsi {

// How the composer reads its text: as text or JSON (templates, sent as a text frame), as hex or base64 bytes,
// or as the path of a file whose bytes are sent (the last three as a binary frame).
enum class ComposerMode : quint8 {
    Text,
    Json,
    Hex,
    Base64,
    File,
};

/*
 * A message as the composer keeps it in its history and templates: the mode and the text the user wrote (for
 * File, the file's path). The decoders turn hex and base64 text into bytes, with errors that say where the text
 * went wrong, so that nothing is ever sent other than what the user meant.
 */
struct ComposerMessage
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ComposerMessage)

public:
    ComposerMode mode = ComposerMode::Text;
    QString text;

    bool operator==(const ComposerMessage&) const = default;

    // True for the modes sent as a binary frame.
    static bool isBinary(ComposerMode mode) { return mode >= ComposerMode::Hex; }
    // True for the modes rendered through MessageTemplate.
    static bool isTemplate(ComposerMode mode) { return mode <= ComposerMode::Json; }

    // "text", "json", "hex", "base64", "file": the names in the library file.
    static QString modeName(ComposerMode mode);
    static std::optional<ComposerMode> modeFromName(QStringView name);

    // Hex digits in pairs; whitespace, commas and a 0x (or 0X) before a run of digits are ignored, so
    // "00 ff 10", "0x00, 0xFF, 0x10" and "00ff10" are the same three bytes. An odd number of digits or any
    // other character is an error that names it and its position.
    static std::optional<QByteArray> decodeHex(QStringView text, QString* error);
    // Standard base64 (RFC 4648 section 4, + and /) with its = padding; line breaks and other whitespace are
    // ignored (wrapped base64 is common), anything else is an error that names it and its position.
    static std::optional<QByteArray> decodeBase64(QStringView text, QString* error);

    // Where offset (UTF-16 units) is in text, as people count: "line 2, column 5".
    static QString position(QStringView text, qsizetype offset);
};

} // namespace wsi
