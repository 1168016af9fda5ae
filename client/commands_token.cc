// `netsnap token new ROLE NAME`: a fresh bearer token and the hashed line for the token file.
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "netsnap/token_hash.h"

namespace netsnap::cli {

int CmdTokenNew(const std::string& role, const std::string& name) {
  if (role != "viewer" && role != "operator") {
    std::cerr << "netsnap: token new: ROLE must be viewer or operator\n";
    return kExitUsage;
  }
  if (name.empty() || name.find_first_of("\n\r") != std::string::npos) {
    std::cerr << "netsnap: token new: NAME must be one non-empty line\n";
    return kExitUsage;
  }
  std::string token;
  Status s = NewToken(&token);
  if (!s.ok()) {
    std::cerr << "netsnap: token new: " << s.message() << "\n";
    return kExitServer;
  }
  // The token goes to the client only; the file holds its hash, so reading the file (a backup, a
  // leaked copy) gives nobody access.
  std::cout << "token: " << token << "\n"
            << "token file line: sha256:" << DigestHex(Sha256(token)) << " " << role << " " << name
            << "\n";
  std::cerr << "Give the token to the client (NETSNAP_TOKEN or --token-file); add the line to the "
               "daemon's token file (mode 0600) and reload or restart snapshotd.\n";
  return kExitOk;
}

}  // namespace netsnap::cli
