/**
 * A file-system call where "not there" is an expected answer: ENOENT gives `fallback`, every other
 * error (permission, I/O, a full disk) is thrown as it is, so nothing fails silently.
 */
export async function ifMissing<T, F>(call: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await call;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}
