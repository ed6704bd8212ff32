#include "app/cli.h"

int main(int argc, char** argv) { return vigil::app::runCli(argc, argv); }
