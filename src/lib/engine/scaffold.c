#include "engine/scaffold.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char default_toml[] =
    "[vm]\n"
    "memory_mib = 2048  # PostgreSQL needs memory for shared buffers\n"
    "vcpu = 1\n\n"
    "[storage]\n"
    "cluster_mib = 8000  # Database storage\n"
    "vm_mib = 4000\n\n"
    "# A database server that every env runs, ready when 'vers run' returns:\n"
    "# [services.postgres]\n"
    "# template = \"postgres@15\"\n"
    "# databases = [\"app\", \"test\"]\n"
    "# extensions = [\"uuid-ossp\", \"pg_trgm\"]\n"
    "#\n"
    "# [services.postgres.settings]\n"
    "# shared_buffers = \"256MB\"\n"
    "\n"
    "# Or build the image from a Dockerfile (FROM host, FROM debian:bookworm, FROM <tag>):\n"
    "# [builder]\n"
    "# dockerfile = \"Dockerfile\"\n"
    "# [builder.args]  # values for the Dockerfile's ARG instructions\n"
    "# PG_MAJOR = \"15\"\n";

int vers_project_init(const char *dir, bool force, bool *wrote, vers_error_t *err)
{
        *wrote = false;
        _cleanup_free_ char *dot = xasprintf("%s/.vers", dir);
        _cleanup_free_ char *toml = xasprintf("%s/vers.toml", dir);
        if (mkdir(dot, 0755) < 0 && errno != EEXIST)
                return vers_make_error(err, errno, "cannot create .vers");
        if (vers_path_exists(toml) && !force)
                return 0;
        if (vers_write_file_atomic(toml, default_toml, strlen(default_toml), 0644, err) < 0)
                return -1;
        *wrote = true;
        return 0;
}
