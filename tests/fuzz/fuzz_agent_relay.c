/* libFuzzer target for the guest-agent relay: fuzz_server's MAIN channel
 * with an agent attached. Input: fuzz_server's option byte, two bytes
 * saying how many of the rest the guest writes to its port (chunks, fed in
 * pieces), then the client's MAIN messages (AGENT_START, AGENT_DATA,
 * AGENT_TOKEN ... as fuzz_server frames them). The port refuses every
 * third write, so chunks and tokens wait in the relay too. */
#define FUZZ_AGENT 1
#include "tests/fuzz/fuzz_server.c"
