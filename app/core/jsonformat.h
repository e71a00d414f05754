#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QCoreApplication>
#include <QList>
#include <QString>
#include <QStringView>

namespace wsi {

enum class JsonType : quint8 {
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
};

// Lexical classes for colouring; the UI maps them to palette-derived colours.
enum class JsonTokenType : quint8 {
    Punctuation, // { } [ ] : ,
    Key, // a string followed by ':'
    String,
    Number,
    Keyword, // true, false, null
    Invalid, // anything else
};

struct JsonToken
{
    qsizetype offset = 0;
    qsizetype length = 0;
    JsonTokenType type = JsonTokenType::Invalid;

    bool operator==(const JsonToken&) const = default;
};

/*
 * Receives the structure of a document while JsonFormatter::parse walks it, in document order. Offsets are
 * byte offsets into the parsed UTF-8 text. The parser never recurses, so a visitor that keeps its own state
 * in vectors (not on the call stack) handles any nesting depth.
 */
class JsonVisitor
{
public:
    virtual ~JsonVisitor() = default;
    // bracket is '{' or '['; offset is where it is.
    virtual void beginContainer(char bracket, qsizetype offset) = 0;
    // offset is that of the closing bracket; count is the number of members or elements.
    virtual void endContainer(char bracket, qsizetype offset, qsizetype count) = 0;
    // The raw key token, quotes included, of the member whose value comes next.
    virtual void key(qsizetype offset, qsizetype length) = 0;
    // A string (raw token, quotes included), number, true, false or null.
    virtual void scalar(JsonType type, qsizetype offset, qsizetype length) = 0;
    // Asked before every token; false ends the walk early (parse then reports the document as stopped).
    virtual bool wantsMore() const { return true; }
};

/*
 * JSON (RFC 8259) validation, pretty printing and lexing for the detail pane, written without recursion:
 * messages from peers can nest ten thousand levels deep, and a recursive parser (QJsonDocument has both a
 * depth limit and recursion) would refuse them or overflow the stack. The parser is a state machine with a
 * vector for the open containers, so depth costs a byte or so of heap per level and nothing on the stack.
 * Errors carry the byte offset where the document stops being JSON and what was expected there.
 */
class JsonFormatter
{
    Q_DECLARE_TR_FUNCTIONS(wsi::JsonFormatter)

public:
    struct Result
    {
        qsizetype errorOffset = -1; // byte offset of the problem; -1 when the document is valid
        QString errorMessage; // e.g. "expected ',' or ']'"
        JsonType rootType = JsonType::Null;
        // The walk ended early, valid as far as it went: the visitor asked to stop, or prettyPrint reached
        // Options::maxOutputBytes (the output is then a prefix of the whole, without the final newline).
        bool stopped = false;

        bool isValid() const { return errorOffset < 0; }
        // "invalid JSON at offset 123: expected ','"; empty when valid.
        QString errorText() const;
    };

    struct Options
    {
        int indent = 2; // spaces per level
        // Deeper levels are indented as much as this one: ten thousand levels at two spaces each would
        // otherwise make a 100-kilobyte document a 200-megabyte text.
        int maxIndentDepth = 64;
        // Stop once the output holds this many bytes (cut between UTF-8 characters), -1 for no limit. Even
        // capped indentation lets a small document grow a hundredfold ("[[[...]]]" costs a line per bracket),
        // so a caller that shows the output to a person asks for what it can show, and the walk stops there.
        qsizetype maxOutputBytes = -1;
    };

    // Walks json, reporting its structure to visitor (may be null: validation only).
    static Result parse(QByteArrayView json, JsonVisitor* visitor = nullptr);
    static Result validate(QByteArrayView json) { return parse(json, nullptr); }

    // Pretty prints json into out (UTF-8, one member or element per line, "{}" and "[]" for empty
    // containers, strings and numbers kept exactly as written, a final newline). On error out is cleared.
    // With Options::maxOutputBytes the walk stops once that much is written: cheap for any input, but the
    // document past that point is not validated (the result says stopped).
    static Result prettyPrint(QByteArrayView json, QByteArray* out, const Options& options);
    static Result prettyPrint(QByteArrayView json, QByteArray* out) { return prettyPrint(json, out, Options {}); }

    // Splits text (typically one line of pretty-printed JSON) into tokens for colouring. Needs no context
    // from other lines and never fails: what is not JSON becomes Invalid tokens; a string left open runs
    // to the end of the text.
    static QList<JsonToken> tokenize(QStringView text);

    // The content of a raw string token (quotes included) with its escapes decoded, \uXXXX pairs too.
    static QString unquote(QByteArrayView rawString);
    // The same, decoding no more than about maxChars UTF-16 units (one character more at most): a key of
    // megabytes costs no more than its first line's worth. *cut tells whether the content went on.
    static QString unquote(QByteArrayView rawString, qsizetype maxChars, bool* cut);
    // text as a JSON string token, quotes included, with '"', '\' and control characters escaped.
    static QString quote(QStringView text);

    static QString typeName(JsonType type);
};

} // namespace wsi
