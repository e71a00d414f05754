#pragma once

#include "sessionexporter.h"

#include <QByteArray>
#include <QHash>
#include <QSet>

#include <vector>

namespace wsi {

/*
 * Writes a session as a classic libpcap file (microsecond timestamps, Ethernet) that Wireshark and tshark
 * dissect as HTTP then WebSocket. We record messages, not packets, so each connection becomes a synthetic
 * IPv4/TCP stream with valid checksums and sequence numbers: the three-way handshake, the upgrade request and
 * response heads, every message re-encoded as one RFC 6455 frame with FIN set whatever its flags say (an event
 * is a whole message; client frames masked with a key derived from seq; RSV bits as recorded), then FIN/ACK at
 * the connection's `closed` event or at the end. Streams are written as their events come, so connections
 * interleave in seq order. Events that never were on the wire (open, closed, error, note)
 * produce no packet; connections recorded without their handshake get a synthetic GET/101 so the upgrade is
 * still seen.
 *
 * The server's port in the capture is always 80, whatever the recorded one. tshark 4.0 finds HTTP on other
 * ports only through its heuristic, which runs after the port table: a stream whose server or client port a
 * text protocol owns (SIP 5060, Redis 6379, MQTT 1883, IRC 6667, or an ephemeral client port such as 57000,
 * also IRC) is then taken by that dissector and no WebSocket frame is ever shown. On port 80 HTTP wins by the
 * table, because TCP asks the lower port first. The real host and port stay visible in the Host header of the
 * upgrade request (http.host); addresses are the recorded IPv4 ones when there are any.
 */
class PcapExporter final : public SessionExporter
{
public:
    static constexpr quint16 ServerPortInCapture = 80;
    // IPv4's total length is 16 bits; bigger writes are split into segments of at most this many bytes.
    static constexpr qsizetype MaxSegmentPayload = 64000;
    static constexpr quint32 Snaplen = 262144;

    PcapExporter(QIODevice* out, const ExportOptions& options);
    ~PcapExporter() override;

    // The masking key of a client frame: any key is valid, and one derived from seq makes exports repeatable.
    static quint32 maskKeyForSeq(quint64 seq);

protected:
    void writeConnection(const Connection& c) override;
    void writeEvent(const Event& e) override;
    void writeEnd() override;

private:
    struct Host
    {
        quint32 address = 0;
        quint16 port = 0;
        quint32 nextSeq = 0;
        quint32 acked = 0; // how far the other side has acknowledged this host's bytes
        quint16 ipId = 0;
    };
    struct Stream
    {
        Host client;
        Host server;
        qint64 firstEventUs = 0;
        bool started = false; // SYN sent; false again after FIN, so a later frame starts a new stream
        bool requestSent = false;
        bool responseSent = false;
        bool deflateAgreed = false; // the 101 on the wire took up permessage-deflate
        QByteArray requestHead; // what went out as the request, for the Sec-WebSocket-Accept of a synthetic 101
        int generation = 0; // how many TCP streams this connection has had, for distinct ISNs
    };

    Stream& streamFor(quint32 connection, qint64 timestampUs);
    void start(quint32 connection, Stream& s, qint64 timestampUs);
    void finish(Stream& s, qint64 timestampUs);
    void writeWireEvent(const Event& e);
    void sendRequest(Stream& s, QByteArray head, qint64 timestampUs);
    void sendResponse(Stream& s, QByteArray head, qint64 timestampUs);
    void sendSyntheticResponse(quint32 connection, Stream& s, bool deflate, qint64 timestampUs);
    void sendData(Stream& s, bool fromClient, QByteArrayView data, qint64 timestampUs);
    void sendSegment(Stream& s, bool fromClient, quint8 tcpFlags, QByteArrayView payload, qint64 timestampUs,
        QByteArrayView tcpOptions = {});
    QByteArray syntheticRequest(quint32 connection) const;
    void flushIfFull();
    void flush();

    QHash<quint32, Connection> m_connections;
    QHash<quint32, Stream> m_streams;
    std::vector<quint32> m_startOrder; // connections with a stream, oldest first: open streams end in this order
    QSet<QByteArray> m_usedTuples; // client address and port, server address: each stream gets its own
    QByteArray m_buffer;
    qint64 m_lastPacketUs = 0;
    qint64 m_lastEventUs = 0;
};

} // namespace wsi
