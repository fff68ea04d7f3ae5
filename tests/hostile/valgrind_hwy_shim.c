/*
 * Preloaded under valgrind only (ctest valgrind.hostile). libavcodec pulls
 * in libjxl, whose libhwy measures its timer at load time with RDTSCP, an
 * instruction valgrind 3.19 cannot run (SIGILL before main). The
 * measurement is called through the PLT, so this stand-in replaces it; no
 * JPEG XL code runs in these tests.
 */
#include <stdint.h>

uint64_t _ZN3hwy8platform15TimerResolutionEv(void);

uint64_t _ZN3hwy8platform15TimerResolutionEv(void)
{
    return 1;
}
