/* lazylib — libarchive and libxml2, loaded the first time a command uses them.
 *
 * Most commands never write a tar or read XML, yet linked normally the two libraries and what
 * they pull in (ICU and libstdc++ for libxml2, six compression libraries and nettle for
 * libarchive) are loaded and relocated before main in every vers process: about 2.5 ms of
 * the ~3.4 ms a bare 'vers --version' takes here, and a pooled 'vers branch' aims at 5 ms in
 * all. A file that uses them includes this header instead of theirs: each function it calls
 * becomes a call through a table that dlopen()/dlsym() fill on first use (a library that
 * cannot be loaded ends vers with a one-line message naming it). A function not listed here
 * does not link: add it to its list and to the names below. */
#ifndef VERS_LAZYLIB_H
#define VERS_LAZYLIB_H

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define VERS_LIBARCHIVE_FUNCS(X)                                                                   \
        X(archive_entry_clear)                                                                     \
        X(archive_entry_filetype)                                                                  \
        X(archive_entry_free)                                                                      \
        X(archive_entry_new)                                                                       \
        X(archive_entry_pathname)                                                                  \
        X(archive_entry_set_filetype)                                                              \
        X(archive_entry_set_gid)                                                                   \
        X(archive_entry_set_gname)                                                                 \
        X(archive_entry_set_hardlink)                                                              \
        X(archive_entry_set_mode)                                                                  \
        X(archive_entry_set_mtime)                                                                 \
        X(archive_entry_set_pathname)                                                              \
        X(archive_entry_set_perm)                                                                  \
        X(archive_entry_set_size)                                                                  \
        X(archive_entry_set_symlink)                                                               \
        X(archive_entry_set_uid)                                                                   \
        X(archive_entry_set_uname)                                                                 \
        X(archive_entry_size)                                                                      \
        X(archive_entry_size_is_set)                                                               \
        X(archive_entry_sourcepath)                                                                \
        X(archive_entry_sparse_count)                                                              \
        X(archive_entry_unset_atime)                                                               \
        X(archive_entry_unset_ctime)                                                               \
        X(archive_errno)                                                                           \
        X(archive_error_string)                                                                    \
        X(archive_read_data)                                                                       \
        X(archive_read_disk_descend)                                                               \
        X(archive_read_disk_new)                                                                   \
        X(archive_read_disk_open)                                                                  \
        X(archive_read_disk_set_behavior)                                                          \
        X(archive_read_disk_set_symlink_physical)                                                  \
        X(archive_read_free)                                                                       \
        X(archive_read_new)                                                                        \
        X(archive_read_next_header)                                                                \
        X(archive_read_next_header2)                                                               \
        X(archive_read_open_filename)                                                              \
        X(archive_read_support_format_tar)                                                         \
        X(archive_set_error)                                                                       \
        X(archive_write_add_filter_gzip)                                                           \
        X(archive_write_close)                                                                     \
        X(archive_write_data)                                                                      \
        X(archive_write_free)                                                                      \
        X(archive_write_header)                                                                    \
        X(archive_write_new)                                                                       \
        X(archive_write_open)                                                                      \
        X(archive_write_open_filename)                                                             \
        X(archive_write_set_format_option)                                                         \
        X(archive_write_set_format_pax_restricted)

#define VERS_LIBXML_FUNCS(X)                                                                       \
        X(xmlAddChild)                                                                             \
        X(xmlCheckVersion)                                                                         \
        X(xmlCtxtGetLastError)                                                                     \
        X(xmlCtxtReadMemory)                                                                       \
        X(xmlDocCopyNode)                                                                          \
        X(xmlDocDumpFormatMemoryEnc)                                                               \
        X(xmlDocGetRootElement)                                                                    \
        X(xmlDocSetRootElement)                                                                    \
        X(xmlFreeDoc)                                                                              \
        X(xmlFreeParserCtxt)                                                                       \
        X(xmlGetLineNo)                                                                            \
        X(xmlGetProp)                                                                              \
        X(xmlNewChild)                                                                             \
        X(xmlNewDoc)                                                                               \
        X(xmlNewNode)                                                                              \
        X(xmlNewParserCtxt)                                                                        \
        X(xmlNewProp)                                                                              \
        X(xmlSetProp)

#define VERS_LAZY_FIELD(name) __typeof__(name) *name;
struct vers_libarchive {
        VERS_LIBARCHIVE_FUNCS(VERS_LAZY_FIELD)
};
struct vers_libxml {
        VERS_LIBXML_FUNCS(VERS_LAZY_FIELD)
        xmlFreeFunc *xmlFree; /* a variable of the library's, not a function */
};

const struct vers_libarchive *vers_libarchive(void);
const struct vers_libxml *vers_libxml(void);

#ifndef VERS_LAZYLIB_IMPL
#define archive_entry_clear (vers_libarchive()->archive_entry_clear)
#define archive_entry_filetype (vers_libarchive()->archive_entry_filetype)
#define archive_entry_free (vers_libarchive()->archive_entry_free)
#define archive_entry_new (vers_libarchive()->archive_entry_new)
#define archive_entry_pathname (vers_libarchive()->archive_entry_pathname)
#define archive_entry_set_filetype (vers_libarchive()->archive_entry_set_filetype)
#define archive_entry_set_gid (vers_libarchive()->archive_entry_set_gid)
#define archive_entry_set_gname (vers_libarchive()->archive_entry_set_gname)
#define archive_entry_set_hardlink (vers_libarchive()->archive_entry_set_hardlink)
#define archive_entry_set_mode (vers_libarchive()->archive_entry_set_mode)
#define archive_entry_set_mtime (vers_libarchive()->archive_entry_set_mtime)
#define archive_entry_set_pathname (vers_libarchive()->archive_entry_set_pathname)
#define archive_entry_set_perm (vers_libarchive()->archive_entry_set_perm)
#define archive_entry_set_size (vers_libarchive()->archive_entry_set_size)
#define archive_entry_set_symlink (vers_libarchive()->archive_entry_set_symlink)
#define archive_entry_set_uid (vers_libarchive()->archive_entry_set_uid)
#define archive_entry_set_uname (vers_libarchive()->archive_entry_set_uname)
#define archive_entry_size (vers_libarchive()->archive_entry_size)
#define archive_entry_size_is_set (vers_libarchive()->archive_entry_size_is_set)
#define archive_entry_sourcepath (vers_libarchive()->archive_entry_sourcepath)
#define archive_entry_sparse_count (vers_libarchive()->archive_entry_sparse_count)
#define archive_entry_unset_atime (vers_libarchive()->archive_entry_unset_atime)
#define archive_entry_unset_ctime (vers_libarchive()->archive_entry_unset_ctime)
#define archive_errno (vers_libarchive()->archive_errno)
#define archive_error_string (vers_libarchive()->archive_error_string)
#define archive_read_data (vers_libarchive()->archive_read_data)
#define archive_read_disk_descend (vers_libarchive()->archive_read_disk_descend)
#define archive_read_disk_new (vers_libarchive()->archive_read_disk_new)
#define archive_read_disk_open (vers_libarchive()->archive_read_disk_open)
#define archive_read_disk_set_behavior (vers_libarchive()->archive_read_disk_set_behavior)
#define archive_read_disk_set_symlink_physical                                                     \
        (vers_libarchive()->archive_read_disk_set_symlink_physical)
#define archive_read_free (vers_libarchive()->archive_read_free)
#define archive_read_new (vers_libarchive()->archive_read_new)
#define archive_read_next_header (vers_libarchive()->archive_read_next_header)
#define archive_read_next_header2 (vers_libarchive()->archive_read_next_header2)
#define archive_read_open_filename (vers_libarchive()->archive_read_open_filename)
#define archive_read_support_format_tar (vers_libarchive()->archive_read_support_format_tar)
#define archive_set_error (vers_libarchive()->archive_set_error)
#define archive_write_add_filter_gzip (vers_libarchive()->archive_write_add_filter_gzip)
#define archive_write_close (vers_libarchive()->archive_write_close)
#define archive_write_data (vers_libarchive()->archive_write_data)
#define archive_write_free (vers_libarchive()->archive_write_free)
#define archive_write_header (vers_libarchive()->archive_write_header)
#define archive_write_new (vers_libarchive()->archive_write_new)
#define archive_write_open (vers_libarchive()->archive_write_open)
#define archive_write_open_filename (vers_libarchive()->archive_write_open_filename)
#define archive_write_set_format_option (vers_libarchive()->archive_write_set_format_option)
#define archive_write_set_format_pax_restricted                                                    \
        (vers_libarchive()->archive_write_set_format_pax_restricted)
#define xmlAddChild (vers_libxml()->xmlAddChild)
#define xmlCheckVersion (vers_libxml()->xmlCheckVersion)
#define xmlCtxtGetLastError (vers_libxml()->xmlCtxtGetLastError)
#define xmlCtxtReadMemory (vers_libxml()->xmlCtxtReadMemory)
#define xmlDocCopyNode (vers_libxml()->xmlDocCopyNode)
#define xmlDocDumpFormatMemoryEnc (vers_libxml()->xmlDocDumpFormatMemoryEnc)
#define xmlDocGetRootElement (vers_libxml()->xmlDocGetRootElement)
#define xmlDocSetRootElement (vers_libxml()->xmlDocSetRootElement)
#define xmlFreeDoc (vers_libxml()->xmlFreeDoc)
#define xmlFreeParserCtxt (vers_libxml()->xmlFreeParserCtxt)
#define xmlGetLineNo (vers_libxml()->xmlGetLineNo)
#define xmlGetProp (vers_libxml()->xmlGetProp)
#define xmlNewChild (vers_libxml()->xmlNewChild)
#define xmlNewDoc (vers_libxml()->xmlNewDoc)
#define xmlNewNode (vers_libxml()->xmlNewNode)
#define xmlNewParserCtxt (vers_libxml()->xmlNewParserCtxt)
#define xmlNewProp (vers_libxml()->xmlNewProp)
#define xmlSetProp (vers_libxml()->xmlSetProp)
#define xmlFree (*vers_libxml()->xmlFree)
#endif

#endif
