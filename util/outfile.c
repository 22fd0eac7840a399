/* outfile — output files written whole or not at all; see outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/assert.h"

/* Follows path while it is a symlink, into target. Returns 0 (target: a path that is
 * not a symlink, existing or not), or -errno (ELOOP past 40 links, ENAMETOOLONG). */
static int follow_links(const char *path, char target[OUTFILE_PATH_MAX])
{
    if (strlen(path) >= OUTFILE_PATH_MAX)
        return -ENAMETOOLONG;
    strcpy(target, path);
    for (int depth = 0; depth < 40; depth++) {
        struct stat st;
        if (lstat(target, &st) != 0 || !S_ISLNK(st.st_mode))
            return 0;
        char link[OUTFILE_PATH_MAX];
        ssize_t n = readlink(target, link, sizeof link - 1);
        if (n < 0)
            return -errno;
        link[n] = '\0';
        if (link[0] == '/') {
            strcpy(target, link);
            continue;
        }
        /* relative to the directory the link is in */
        char *slash = strrchr(target, '/');
        size_t keep = slash ? (size_t)(slash - target) + 1 : 0;
        if (keep + (size_t)n >= OUTFILE_PATH_MAX)
            return -ENAMETOOLONG;
        memcpy(target + keep, link, (size_t)n + 1);
    }
    return -ELOOP;
}

/* Opens a temporary file beside f->path with the mode a plain fopen would give. */
static int open_temporary(struct outfile *f)
{
    int n = snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp.XXXXXX", f->path);
    if (n < 0 || (size_t)n >= sizeof f->tmp_path)
        return -ENAMETOOLONG;
    int fd = mkstemp(f->tmp_path);
    if (fd < 0)
        return -errno;
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) == 0 && (f->stream = fdopen(fd, "w")) != NULL)
        return 0;
    int rc = -errno;
    close(fd);
    unlink(f->tmp_path);
    return rc;
}

int outfile_open(struct outfile *f, const char *path)
{
    ASSERT(path && path[0]);
    f->stream = NULL;
    f->tmp_path[0] = '\0';
    int rc = follow_links(path, f->path);
    if (rc != 0)
        return rc;
    struct stat st;
    int exists = stat(f->path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return -EISDIR;
    if (exists && !S_ISREG(st.st_mode)) {
        f->stream = fopen(f->path, "w"); /* a device, a FIFO: in place */
        return f->stream ? 0 : -errno;
    }
    rc = open_temporary(f);
    if (rc != 0)
        f->tmp_path[0] = '\0';
    return rc;
}

int outfile_flush(FILE *stream)
{
    errno = 0;
    if (fflush(stream) != 0)
        return errno ? -errno : -EIO;
    return ferror(stream) ? -EIO : 0;
}

int outfile_commit(struct outfile *f)
{
    ASSERT(f->stream);
    int rc = outfile_flush(f->stream);
    if (rc == 0 && f->tmp_path[0] && fsync(fileno(f->stream)) != 0)
        rc = -errno;
    errno = 0;
    if (fclose(f->stream) != 0 && rc == 0)
        rc = errno ? -errno : -EIO;
    f->stream = NULL;
    if (!f->tmp_path[0])
        return rc;
    if (rc == 0 && rename(f->tmp_path, f->path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
    return rc;
}

void outfile_discard(struct outfile *f)
{
    if (!f->stream)
        return;
    fclose(f->stream);
    f->stream = NULL;
    if (f->tmp_path[0])
        unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
}

int outfile_make_parents(const char *path)
{
    char directory[OUTFILE_PATH_MAX];
    if (strlen(path) >= sizeof directory)
        return -ENAMETOOLONG;
    strcpy(directory, path);
    for (char *slash = strchr(directory + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        struct stat st;
        if (mkdir(directory, 0777) != 0 && errno != EEXIST)
            return -errno;
        if (stat(directory, &st) != 0)
            return -errno;
        if (!S_ISDIR(st.st_mode))
            return -ENOTDIR;
        *slash = '/';
    }
    return 0;
}
