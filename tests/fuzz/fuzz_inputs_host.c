/* libFuzzer target for INPUTS channels read on the host's thread
 * (floe_input_host, server/net/host-reader.c): fuzz_server's whole read
 * path, input format and checks, with an input host on the same loop, so
 * that every linked INPUTS channel is read by the host's watch and its
 * messages go to the host or on to the server as host-reader.c decides. */
#define FUZZ_INPUT_HOST 1
#include "tests/fuzz/fuzz_server.c"
