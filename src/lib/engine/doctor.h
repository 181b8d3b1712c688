/* doctor — 'vers doctor': what this machine can do (kernel, btrfs, namespaces, cgroups,
 * seccomp, CRIU, the services' software) and what the sandbox enforces in every env. Reads
 * only: it never makes a VERS_ROOT. */
#ifndef VERS_DOCTOR_H
#define VERS_DOCTOR_H

#include "base/util.h"

struct vers_doctor_check {
        const char *what; /* "btrfs", "postgres", ... */
        bool ok;
        bool optional; /* vers works without it (warm checkpoints) */
        char *detail;
};

struct vers_doctor_report {
        char *kernel;
        char *criu; /* its version, NULL if none was found */
        bool warm;  /* commits will be warm */
        struct vers_doctor_check *checks;
        size_t n_checks;
        char *sandbox; /* what every env gets, one item a line */
        bool ok;       /* every check that is not optional passed */
};

void vers_doctor(struct vers_doctor_report *r);
void vers_doctor_report_free(struct vers_doctor_report *r);

#endif
