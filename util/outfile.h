/* outfile — an output file written whole or not at all.
 *
 * What the path names decides how it is written:
 *   - nothing yet, or a regular file: to a temporary file beside it, which is
 *     flushed, checked, fsync'ed and renamed into place only when every write
 *     succeeded, so an existing file is never left half-written;
 *   - a symlink: followed first (to any depth), so that the link stays and its
 *     target is what gets replaced;
 *   - a character device, a FIFO or a socket (/dev/null, a pipe): written in place,
 *     since renaming a regular file over it would destroy it;
 *   - a directory: refused with EISDIR.
 * Every error is the real errno (ENOSPC, EFBIG, EACCES, ...), never a generic one. */
#ifndef DETSIM_OUTFILE_H
#define DETSIM_OUTFILE_H

#include <stdio.h>

#define OUTFILE_PATH_MAX 4096

struct outfile {
    char path[OUTFILE_PATH_MAX];     /* the file written: the path with symlinks followed */
    char tmp_path[OUTFILE_PATH_MAX]; /* the temporary beside it; "" when written in place */
    FILE *stream;                    /* NULL when not open */
};

/* Opens f for path (see above). Returns 0 with f->stream open, or -errno with
 * nothing created and f->stream NULL. */
int outfile_open(struct outfile *f, const char *path);

/* Flushes and closes f and, for a temporary, fsyncs it and renames it into place.
 * Returns 0, or -errno of the first step that failed (the temporary is then removed
 * and the file is as it was). f->stream is NULL afterwards either way. */
int outfile_commit(struct outfile *f);

/* Closes f without committing: a temporary is removed (a device or FIFO written in
 * place keeps what it got). Nothing to do when f is not open. */
void outfile_discard(struct outfile *f);

/* Flushes stream and says whether everything written to it so far reached the
 * system. Returns 0, or -errno (-EIO when the stream failed earlier and the errno of
 * that failure is gone). */
int outfile_flush(FILE *stream);

/* mkdir -p of the directory path is in. Returns 0 (also when it exists), or -errno
 * of the first component that could not be made (ENOTDIR, EACCES, ...). */
int outfile_make_parents(const char *path);

#endif
