/* Deterministic number helpers for the demo desktop: a PRNG, a hash for
 * noise, and an integer sine, so the picture depends only on (seed, tick). */
#include "demo/demo-priv.h"

uint64_t floe_demo_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t floe_demo_hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t h = a * 0x9e3779b1u ^ b * 0x85ebca77u ^ c * 0xc2b2ae3du;

    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    h *= 0x297a2d39u;
    h ^= h >> 15;
    return h;
}

/* Bhaskara I's approximation on a half turn (error below 0.2%). */
int floe_demo_sin(uint32_t a)
{
    int64_t x = a & 0x7fff, p = x * (32768 - x);
    int64_t v = (16 * p * 32768) / (5LL * 32768 * 32768 - 4 * p);

    return (a & 0x8000) ? (int)-v : (int)v;
}

int floe_demo_scale(int v, int permille)
{
    return (int)(((int64_t)v * permille + (v >= 0 ? 500 : -500)) / 1000);
}
