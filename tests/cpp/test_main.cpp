// The runner of the gate core's unit tests (the cases register themselves from test_*.cpp).
#include "check.h"

int main(int argc, char **argv) { return check::run(argc, argv); }
