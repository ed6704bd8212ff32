#include <sys/stat.h>

#include "app/cli.h"

int main(int argc, char** argv) {
  // What vigil creates (the access database, recordings, their directories)
  // is for this user alone: 0600 files, 0700 directories.
  ::umask(077);
  return vigil::app::runCli(argc, argv);
}
