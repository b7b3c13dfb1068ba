/**
 * The most threads per core SDAE_NATIVE_THREADS (and the CLI's --threads) may ask for: more only
 * wait on each other, and each costs memory (--threads 100000 took 6.8 GB and ran past 120 s).
 */
export const NATIVE_THREADS_PER_CORE = 4;
