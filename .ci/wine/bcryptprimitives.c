/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12), test scaffolding only: never
 * shipped, built by .ci/windows.sh and copied into the throwaway Wine prefix.
 *
 * Every Windows program built with Go 1.22 or later loads bcryptprimitives.dll
 * at start and calls its ProcessPrng for random bytes (runtime/os_windows.go);
 * without it the runtime aborts with "bcryptprimitives.dll not found". Wine
 * gained its own bcryptprimitives in 9.x; 8.0 lacks it. This DLL exports the
 * one function Go needs and fills the buffer through RtlGenRandom
 * (SystemFunction036 in advapi32), which Wine implements on the host's
 * random source.
 *
 * On Windows, ProcessPrng always returns TRUE and never fails; here a failure
 * of RtlGenRandom returns FALSE, which makes Go's runtime abort rather than
 * run with a buffer that was not filled.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
