// One HTTP connection: reads requests with header and body limits and a read timeout set before
// every read (slow clients are dropped), prepares each through the dispatcher on its I/O thread
// and runs its handler there or on the worker pool (the route says which; a full pool is a 503),
// keeps the connection alive when the client asks, writes a large answer piece by piece with
// chunked encoding (each piece rendered on a worker), and turns into a server-sent event stream
// when a handler answers with one. The session's own work runs on its strand; while a worker has
// it, no I/O is pending on the connection. One class serves both TCP and the Unix socket: it is a
// template on the stream's protocol.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/dispatcher.h"
#include "api/event_feed.h"
#include "api/peer.h"
#include "api/worker_pool.h"
#include "core/event_bus.h"

namespace netsnap::api {

class Connections;

// What every session of a server shares; owned by the server.
struct SessionEnv {
  const Dispatcher* dispatcher = nullptr;
  WorkerPool* workers = nullptr;
  EventBus* events = nullptr;
  Connections* connections = nullptr;
  size_t max_followers = 32;                 // event streams open at once
  std::atomic<size_t>* followers = nullptr;  // how many are open now
  size_t max_header_bytes = 8 << 10;
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds heartbeat{15};  // comment lines on an idle event stream
};

// What the connection registry sees of a session of either protocol.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Stops the event feed; only when no I/O thread runs (server stop).
  virtual void DetachFeed() = 0;
};

template <typename Protocol>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  using Stream = boost::beast::basic_stream<Protocol>;

  Session(typename Protocol::socket&& socket, Peer peer, const SessionEnv* env);
  ~Session() override;

  // Starts reading requests.
  void Run();
  // Sends a canned answer (`reply`: a whole HTTP response) and closes; for connections beyond a
  // cap. A short answer on a fresh socket fits its send buffer, so the write does not block.
  void Refuse(const std::string& reply);
  void DetachFeed() override;

 private:
  void Read();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  // Runs a prepared call on the worker pool, then answers on the session's strand.
  void Offload(std::shared_ptr<Dispatcher::Call> call, bool keep_alive);
  // Sends the answer to `call` as its handler asks: events, pieces, or one body.
  void Answer(std::shared_ptr<Dispatcher::Call> call, ApiResponse&& res, bool keep_alive);
  // Sends `res`; then reads the next request, or closes when !keep_alive.
  void Reply(ApiResponse&& res, bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void DoClose();

  // Server-sent events.
  void StartStream(std::shared_ptr<EventStream> spec);
  void OnStreamHeader(boost::beast::error_code ec, size_t bytes);
  // Reads the next batch of the backlog on a worker (a store read may wait for the disk); the
  // strand sends it, then asks for the next once it is written.
  void ReadBacklog();
  void OnBacklog(const std::vector<StoredEvent>& batch, bool done, const Status& s);
  // Writes pending frames; after the backlog, takes live events first; during it, asks for the
  // next batch when nothing is left to write.
  void Pump();
  void OnStreamWrite(boost::beast::error_code ec, size_t bytes);
  void ArmHeartbeat();
  void AppendFrame(const StoredEvent& e);

  // Answers 503 and closes: too many event streams are open.
  void RefuseStream();

  // A body in pieces: the header, then a worker renders piece n+1 while the strand writes piece
  // n (two pieces in memory at most), then the last chunk. HTTP/1.0 clients get the raw body
  // and the connection closes after it. The call's duration is observed after the last byte,
  // or when the connection fails before it.
  void StartPieces(std::shared_ptr<Dispatcher::Call> call, ApiResponse&& res, bool keep_alive);
  void OnPiecesHeader(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  // Has a worker render the next piece into rendered_.
  void RenderPiece(bool keep_alive);
  // Writes the rendered piece when it is ready and no write is pending.
  void WritePiece(bool keep_alive);
  void OnPieceWritten(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void OnLastChunk(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  // Observes the streamed call's duration once and lets go of the body.
  void EndPieces();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  const SessionEnv* env_;
  const Peer peer_;
  unsigned http_version_ = 11;

  std::shared_ptr<EventStream> spec_;
  std::shared_ptr<EventFeed> feed_;
  int subscription_ = 0;
  bool counted_follower_ = false;
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> stream_header_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
      stream_serializer_;
  std::shared_ptr<ChunkedBody> pieces_;            // the body being written in pieces
  std::shared_ptr<Dispatcher::Call> pieces_call_;  // its call, until the last byte
  std::string piece_;                              // the piece being written (strand)
  std::string rendered_;  // the next piece: a worker's until the strand learns it is rendered
  bool rendered_ready_ = false;  // rendered_ holds a piece (or the end of the body)
  bool rendered_more_ = false;   // ... and it is a piece, not the end
  std::string pending_;          // frames not yet written
  std::string inflight_;         // frames being written
  bool writing_ = false;         // a write of the header, frames or a piece is pending
  bool backlog_done_ = false;
  bool reading_backlog_ = false;  // a worker reads a batch
  uint64_t last_sent_id_ = 0;
  boost::asio::steady_timer heartbeat_;
};

using TcpSession = Session<boost::asio::ip::tcp>;
using LocalSession = Session<boost::asio::local::stream_protocol>;

}  // namespace netsnap::api
