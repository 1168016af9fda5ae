// bench_api_load: a small keep-alive load client for the API's Unix socket (wrk speaks TCP only),
// for tools/bench_api.sh.
//
//   bench_api_load SOCKET TARGET CONNECTIONS SECONDS
//
// Each of CONNECTIONS threads keeps one connection and sends GET TARGET, reads the whole answer
// (Content-Length), and repeats until SECONDS pass. Prints "RPS <answers a second>"; exits 1 on
// a non-2xx answer or a broken connection.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> failed{false};

// One connection's loop; returns the answers it got.
uint64_t Drive(const std::string& path, const std::string& request,
               std::chrono::steady_clock::time_point end) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    failed = true;
    return 0;
  }
  uint64_t answers = 0;
  std::string buf;
  char chunk[65536];
  while (std::chrono::steady_clock::now() < end && !failed) {
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      failed = true;
      break;
    }
    size_t need = std::string::npos;  // header + body length, once the header is in
    while (need == std::string::npos || buf.size() < need) {
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        failed = true;
        break;
      }
      buf.append(chunk, static_cast<size_t>(n));
      size_t header_end = buf.find("\r\n\r\n");
      if (need == std::string::npos && header_end != std::string::npos) {
        if (buf.compare(0, 10, "HTTP/1.1 2") != 0) {
          std::fprintf(stderr, "bench_api_load: %s\n", buf.substr(0, buf.find("\r\n")).c_str());
          failed = true;
          break;
        }
        size_t cl = buf.find("Content-Length: ");
        if (cl == std::string::npos || cl > header_end) {
          failed = true;
          break;
        }
        need = header_end + 4 + std::strtoull(buf.c_str() + cl + 16, nullptr, 10);
      }
    }
    if (failed) break;
    buf.erase(0, need);
    ++answers;
  }
  close(fd);
  return answers;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_api_load SOCKET TARGET CONNECTIONS SECONDS\n");
    return 2;
  }
  std::string path = argv[1];
  std::string request =
      std::string("GET ") + argv[2] + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n";
  int connections = std::atoi(argv[3]);
  double seconds = std::atof(argv[4]);
  if (connections < 1 || connections > 256 || seconds <= 0 || seconds > 3600) {
    std::fprintf(stderr, "bench_api_load: 1-256 connections, 0-3600 seconds\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
  std::vector<uint64_t> counts(static_cast<size_t>(connections));
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] { counts[static_cast<size_t>(i)] = Drive(path, request, end); });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) return 1;
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  std::printf("RPS %.0f\n", static_cast<double>(total) / elapsed);
  return 0;
}
