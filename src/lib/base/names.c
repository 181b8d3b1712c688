#include "base/names.h"

#include <string.h>

bool vers_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 64 || name[0] == '-' || name[0] == '.' || strstr(name, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

int vers_name_check(const char *what, const char *name, vers_error_t *err)
{
        if (vers_name_valid(name))
                return 0;
        if (name == NULL || *name == '\0')
                return vers_make_error(err, 0, "%s must not be empty", what);
        if (strlen(name) > 64)
                return vers_make_error(err, 0, "%s '%.64s...' is longer than 64 characters", what,
                                       name);
        if (strchr(name, '/'))
                return vers_make_error(err, 0, "%s '%s' must not contain '/'", what, name);
        if (strstr(name, ".."))
                return vers_make_error(err, 0, "%s '%s' must not contain '..'", what, name);
        return vers_make_error(err, 0,
                               "%s '%s' is not a valid name (use letters, digits, '.', '_', '-'; "
                               "no leading '-' or '.')",
                               what, name);
}

bool vers_looks_like_id(const char *s)
{
        size_t n = strlen(s);
        if (n < 4 || n > 32)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}

bool vers_name_shadows_id(const char *name, const char *id)
{
        if (!name || !id)
                return false;
        if (!strcmp(name, id))
                return true;
        return vers_looks_like_id(name) && !strncmp(id, name, strlen(name));
}

bool vers_tag_valid(const char *tag)
{
        size_t n = tag ? strlen(tag) : 0;
        if (n == 0 || n > 128 || tag[0] == '-' || tag[0] == ' ' || tag[n - 1] == ' ' ||
            strchr(tag, '/') || strstr(tag, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)tag[i];
                if (c < 0x20 || c == 0x7f)
                        return false;
        }
        return true;
}

int vers_tag_check(const char *tag, vers_error_t *err)
{
        if (vers_tag_valid(tag))
                return 0;
        if (tag == NULL || *tag == '\0')
                return vers_make_error(err, 0, "tag must not be empty");
        if (strlen(tag) > 128)
                return vers_make_error(err, 0, "tag '%.64s...' is longer than 128 characters", tag);
        if (strchr(tag, '/'))
                return vers_make_error(err, 0, "tag '%s' must not contain '/'", tag);
        if (strstr(tag, ".."))
                return vers_make_error(err, 0, "tag '%s' must not contain '..'", tag);
        return vers_make_error(err, 0,
                               "tag '%s' is not valid (no control characters, no leading '-', "
                               "no leading or trailing space)",
                               tag);
}
