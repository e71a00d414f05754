#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <memory>
#include <optional>

namespace wsi {

struct HttpHead;

/*
 * permessage-deflate (RFC 7692) as the two ends of a connection agreed on it: what the server's 101 response
 * accepted in Sec-WebSocket-Extensions. The window bits and context takeover of each direction decide how its
 * messages are inflated.
 */
struct DeflateParams
{
    bool serverNoContextTakeover = false;
    bool clientNoContextTakeover = false;
    int serverMaxWindowBits = 15; // 8..15: the window the server compresses with (s2c)
    int clientMaxWindowBits = 15; // 8..15: the window the client compresses with (c2s)

    bool operator==(const DeflateParams&) const = default;
};

// The permessage-deflate agreement of a 101 response: nullopt when the response accepted no permessage-deflate
// (no header, or other extensions only). A malformed or unknown parameter, a repeated parameter or window bits
// outside 8..15 leave *error set (and return nullopt), since the connection cannot then be decoded.
std::optional<DeflateParams> negotiatedDeflate(const HttpHead& response, QByteArray* error);

/*
 * Inflates the compressed messages of one direction of a connection, in order: with context takeover the
 * window carries from one message to the next, so every compressed message of that direction must pass
 * through the same inflater. Raw DEFLATE (no zlib header), the 00 00 ff ff tail added back as RFC 7692 7.2.2
 * says.
 */
class MessageInflater
{
public:
    // windowBits: the sender's max window bits (8..15); noContextTakeover: the sender resets after each message.
    MessageInflater(int windowBits, bool noContextTakeover);
    ~MessageInflater();
    Q_DISABLE_COPY_MOVE(MessageInflater)

    // Inflates one whole message (its frames' payloads joined). False with *error ("invalid compressed data:
    // ..." or "inflated message larger than the limit of N bytes") when it cannot: the inflater is then
    // unusable for the rest of the stream (the context is lost), and every later call fails too.
    bool inflate(QByteArrayView compressed, QByteArray* out, qint64 maxBytes, QByteArray* error);
    bool isBroken() const { return m_broken; }

private:
    struct State;
    std::unique_ptr<State> m_state;
    bool m_noContextTakeover;
    bool m_broken = false;
};

/*
 * The matching compressor, for our own tests, benchmarks and exports: compresses one message as a
 * permessage-deflate sender would (sync flush, the 00 00 ff ff tail removed), keeping the context between
 * messages unless noContextTakeover.
 */
class MessageDeflater
{
public:
    MessageDeflater(int windowBits, bool noContextTakeover);
    ~MessageDeflater();
    Q_DISABLE_COPY_MOVE(MessageDeflater)

    // The compressed message; never empty (an empty message compresses to one 00 byte), except when zlib
    // failed (it could not even start, for want of memory).
    QByteArray deflate(QByteArrayView message);

private:
    struct State;
    std::unique_ptr<State> m_state;
    bool m_noContextTakeover;
};

} // namespace wsi
