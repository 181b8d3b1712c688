/* lazylib — libarchive and libxml2 loaded on first use (lazylib.h). */
#define VERS_LAZYLIB_IMPL
#include "ship/lazylib.h"
#include "base/util.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

/* the sonames Debian 12's libarchive13 and libxml2 packages install */
#define LIBARCHIVE_SONAME "libarchive.so.13"
#define LIBXML_SONAME "libxml2.so.2"

static void *open_library(const char *soname)
{
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                char msg[512];
                snprintf(msg, sizeof msg, "cannot load %s (%s)", soname, dlerror());
                vers_abort(msg);
        }
        return h;
}

static void *symbol(void *h, const char *soname, const char *name)
{
        void *p = dlsym(h, name);
        if (!p) {
                char msg[256];
                snprintf(msg, sizeof msg, "%s has no %s", soname, name);
                vers_abort(msg);
        }
        return p;
}

#define LOAD(name) *(void **)&t.name = symbol(h, soname, #name);

const struct vers_libarchive *vers_libarchive(void)
{
        static struct vers_libarchive t;
        static bool loaded;
        if (!loaded) {
                const char *soname = LIBARCHIVE_SONAME;
                void *h = open_library(soname);
                VERS_LIBARCHIVE_FUNCS(LOAD)
                loaded = true;
        }
        return &t;
}

const struct vers_libxml *vers_libxml(void)
{
        static struct vers_libxml t;
        static bool loaded;
        if (!loaded) {
                const char *soname = LIBXML_SONAME;
                void *h = open_library(soname);
                VERS_LIBXML_FUNCS(LOAD)
                LOAD(xmlFree)
                loaded = true;
        }
        return &t;
}
