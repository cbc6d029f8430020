/* archive_dl.h: libarchive, loaded with dlopen the first time it is used.
 *
 * Linked in, libarchive (with libxml2, ICU and libstdc++ behind it) costs
 * ~3.5 ms at every start of the CLI and ~2 MB of RSS in an idle daemon;
 * only cp, pulls, save/load and container archives need it. Include this
 * instead of <archive.h> in a file that uses libarchive: each function used
 * anywhere is named below and its calls go through the loaded table. A
 * function not listed fails to link, which is how a new one is noticed. */
#ifndef BERTH_BASE_ARCHIVE_DL_H
#define BERTH_BASE_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#include "base/lazylib.h"

#define BERTH_ARCHIVE_FUNCS(X)                                                                  \
	X(archive_entry_atime)                                                                  \
	X(archive_entry_atime_is_set)                                                           \
	X(archive_entry_atime_nsec)                                                             \
	X(archive_entry_clear)                                                                  \
	X(archive_entry_copy_hardlink)                                                          \
	X(archive_entry_copy_pathname)                                                          \
	X(archive_entry_copy_sourcepath)                                                        \
	X(archive_entry_copy_stat)                                                              \
	X(archive_entry_filetype)                                                               \
	X(archive_entry_free)                                                                   \
	X(archive_entry_gid)                                                                    \
	X(archive_entry_hardlink)                                                               \
	X(archive_entry_linkify)                                                                \
	X(archive_entry_linkresolver_free)                                                      \
	X(archive_entry_linkresolver_new)                                                       \
	X(archive_entry_linkresolver_set_strategy)                                              \
	X(archive_entry_mtime)                                                                  \
	X(archive_entry_mtime_nsec)                                                             \
	X(archive_entry_new)                                                                    \
	X(archive_entry_pathname)                                                               \
	X(archive_entry_perm)                                                                   \
	X(archive_entry_rdevmajor)                                                              \
	X(archive_entry_rdevminor)                                                              \
	X(archive_entry_set_filetype)                                                           \
	X(archive_entry_set_gname)                                                              \
	X(archive_entry_set_hardlink)                                                           \
	X(archive_entry_set_mtime)                                                              \
	X(archive_entry_set_nlink)                                                              \
	X(archive_entry_set_pathname)                                                           \
	X(archive_entry_set_perm)                                                               \
	X(archive_entry_set_size)                                                               \
	X(archive_entry_set_symlink)                                                            \
	X(archive_entry_set_uname)                                                              \
	X(archive_entry_size)                                                                   \
	X(archive_entry_symlink)                                                                \
	X(archive_entry_uid)                                                                    \
	X(archive_entry_unset_atime)                                                            \
	X(archive_entry_unset_birthtime)                                                        \
	X(archive_entry_unset_ctime)                                                            \
	X(archive_entry_xattr_add_entry)                                                        \
	X(archive_entry_xattr_next)                                                             \
	X(archive_entry_xattr_reset)                                                            \
	X(archive_errno)                                                                        \
	X(archive_error_string)                                                                 \
	X(archive_format)                                                                       \
	X(archive_read_data)                                                                    \
	X(archive_read_data_block)                                                              \
	X(archive_read_disk_descend)                                                            \
	X(archive_read_disk_new)                                                                \
	X(archive_read_disk_open)                                                               \
	X(archive_read_disk_set_behavior)                                                       \
	X(archive_read_disk_set_symlink_physical)                                               \
	X(archive_read_free)                                                                    \
	X(archive_read_new)                                                                     \
	X(archive_read_next_header)                                                             \
	X(archive_read_next_header2)                                                            \
	X(archive_read_open)                                                                    \
	X(archive_read_open_fd)                                                                 \
	X(archive_read_support_filter_all)                                                      \
	X(archive_read_support_filter_bzip2)                                                    \
	X(archive_read_support_filter_gzip)                                                     \
	X(archive_read_support_filter_xz)                                                       \
	X(archive_read_support_filter_zstd)                                                     \
	X(archive_read_support_format_gnutar)                                                   \
	X(archive_read_support_format_raw)                                                      \
	X(archive_read_support_format_tar)                                                      \
	X(archive_set_error)                                                                    \
	X(archive_write_close)                                                                  \
	X(archive_write_data)                                                                   \
	X(archive_write_data_block)                                                             \
	X(archive_write_disk_new)                                                               \
	X(archive_write_disk_set_options)                                                       \
	X(archive_write_finish_entry)                                                           \
	X(archive_write_free)                                                                   \
	X(archive_write_header)                                                                 \
	X(archive_write_new)                                                                    \
	X(archive_write_open)                                                                   \
	X(archive_write_open2)                                                                  \
	X(archive_write_open_fd)                                                                \
	X(archive_write_set_bytes_in_last_block)                                                \
	X(archive_write_set_bytes_per_block)                                                    \
	X(archive_write_set_format_pax_restricted)

BERTH_LAZYLIB_DECLARE(archive, ARCHIVE)

/* From here on every listed function is called through the table (the
 * loader, base/lazylib.c, defines BERTH_LAZYLIB_LOADER to see the names). */
#ifndef BERTH_LAZYLIB_LOADER
#define archive_entry_atime (berth_archive_api_get()->archive_entry_atime)
#define archive_entry_atime_is_set (berth_archive_api_get()->archive_entry_atime_is_set)
#define archive_entry_atime_nsec (berth_archive_api_get()->archive_entry_atime_nsec)
#define archive_entry_clear (berth_archive_api_get()->archive_entry_clear)
#define archive_entry_copy_hardlink (berth_archive_api_get()->archive_entry_copy_hardlink)
#define archive_entry_copy_pathname (berth_archive_api_get()->archive_entry_copy_pathname)
#define archive_entry_copy_sourcepath (berth_archive_api_get()->archive_entry_copy_sourcepath)
#define archive_entry_copy_stat (berth_archive_api_get()->archive_entry_copy_stat)
#define archive_entry_filetype (berth_archive_api_get()->archive_entry_filetype)
#define archive_entry_free (berth_archive_api_get()->archive_entry_free)
#define archive_entry_gid (berth_archive_api_get()->archive_entry_gid)
#define archive_entry_hardlink (berth_archive_api_get()->archive_entry_hardlink)
#define archive_entry_linkify (berth_archive_api_get()->archive_entry_linkify)
#define archive_entry_linkresolver_free (berth_archive_api_get()->archive_entry_linkresolver_free)
#define archive_entry_linkresolver_new (berth_archive_api_get()->archive_entry_linkresolver_new)
#define archive_entry_linkresolver_set_strategy (berth_archive_api_get()->archive_entry_linkresolver_set_strategy)
#define archive_entry_mtime (berth_archive_api_get()->archive_entry_mtime)
#define archive_entry_mtime_nsec (berth_archive_api_get()->archive_entry_mtime_nsec)
#define archive_entry_new (berth_archive_api_get()->archive_entry_new)
#define archive_entry_pathname (berth_archive_api_get()->archive_entry_pathname)
#define archive_entry_perm (berth_archive_api_get()->archive_entry_perm)
#define archive_entry_rdevmajor (berth_archive_api_get()->archive_entry_rdevmajor)
#define archive_entry_rdevminor (berth_archive_api_get()->archive_entry_rdevminor)
#define archive_entry_set_filetype (berth_archive_api_get()->archive_entry_set_filetype)
#define archive_entry_set_gname (berth_archive_api_get()->archive_entry_set_gname)
#define archive_entry_set_hardlink (berth_archive_api_get()->archive_entry_set_hardlink)
#define archive_entry_set_mtime (berth_archive_api_get()->archive_entry_set_mtime)
#define archive_entry_set_nlink (berth_archive_api_get()->archive_entry_set_nlink)
#define archive_entry_set_pathname (berth_archive_api_get()->archive_entry_set_pathname)
#define archive_entry_set_perm (berth_archive_api_get()->archive_entry_set_perm)
#define archive_entry_set_size (berth_archive_api_get()->archive_entry_set_size)
#define archive_entry_set_symlink (berth_archive_api_get()->archive_entry_set_symlink)
#define archive_entry_set_uname (berth_archive_api_get()->archive_entry_set_uname)
#define archive_entry_size (berth_archive_api_get()->archive_entry_size)
#define archive_entry_symlink (berth_archive_api_get()->archive_entry_symlink)
#define archive_entry_uid (berth_archive_api_get()->archive_entry_uid)
#define archive_entry_unset_atime (berth_archive_api_get()->archive_entry_unset_atime)
#define archive_entry_unset_birthtime (berth_archive_api_get()->archive_entry_unset_birthtime)
#define archive_entry_unset_ctime (berth_archive_api_get()->archive_entry_unset_ctime)
#define archive_entry_xattr_add_entry (berth_archive_api_get()->archive_entry_xattr_add_entry)
#define archive_entry_xattr_next (berth_archive_api_get()->archive_entry_xattr_next)
#define archive_entry_xattr_reset (berth_archive_api_get()->archive_entry_xattr_reset)
#define archive_errno (berth_archive_api_get()->archive_errno)
#define archive_error_string (berth_archive_api_get()->archive_error_string)
#define archive_format (berth_archive_api_get()->archive_format)
#define archive_read_data (berth_archive_api_get()->archive_read_data)
#define archive_read_data_block (berth_archive_api_get()->archive_read_data_block)
#define archive_read_disk_descend (berth_archive_api_get()->archive_read_disk_descend)
#define archive_read_disk_new (berth_archive_api_get()->archive_read_disk_new)
#define archive_read_disk_open (berth_archive_api_get()->archive_read_disk_open)
#define archive_read_disk_set_behavior (berth_archive_api_get()->archive_read_disk_set_behavior)
#define archive_read_disk_set_symlink_physical (berth_archive_api_get()->archive_read_disk_set_symlink_physical)
#define archive_read_free (berth_archive_api_get()->archive_read_free)
#define archive_read_new (berth_archive_api_get()->archive_read_new)
#define archive_read_next_header (berth_archive_api_get()->archive_read_next_header)
#define archive_read_next_header2 (berth_archive_api_get()->archive_read_next_header2)
#define archive_read_open (berth_archive_api_get()->archive_read_open)
#define archive_read_open_fd (berth_archive_api_get()->archive_read_open_fd)
#define archive_read_support_filter_all (berth_archive_api_get()->archive_read_support_filter_all)
#define archive_read_support_filter_bzip2 (berth_archive_api_get()->archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip (berth_archive_api_get()->archive_read_support_filter_gzip)
#define archive_read_support_filter_xz (berth_archive_api_get()->archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (berth_archive_api_get()->archive_read_support_filter_zstd)
#define archive_read_support_format_gnutar (berth_archive_api_get()->archive_read_support_format_gnutar)
#define archive_read_support_format_raw (berth_archive_api_get()->archive_read_support_format_raw)
#define archive_read_support_format_tar (berth_archive_api_get()->archive_read_support_format_tar)
#define archive_set_error (berth_archive_api_get()->archive_set_error)
#define archive_write_close (berth_archive_api_get()->archive_write_close)
#define archive_write_data (berth_archive_api_get()->archive_write_data)
#define archive_write_data_block (berth_archive_api_get()->archive_write_data_block)
#define archive_write_disk_new (berth_archive_api_get()->archive_write_disk_new)
#define archive_write_disk_set_options (berth_archive_api_get()->archive_write_disk_set_options)
#define archive_write_finish_entry (berth_archive_api_get()->archive_write_finish_entry)
#define archive_write_free (berth_archive_api_get()->archive_write_free)
#define archive_write_header (berth_archive_api_get()->archive_write_header)
#define archive_write_new (berth_archive_api_get()->archive_write_new)
#define archive_write_open (berth_archive_api_get()->archive_write_open)
#define archive_write_open2 (berth_archive_api_get()->archive_write_open2)
#define archive_write_open_fd (berth_archive_api_get()->archive_write_open_fd)
#define archive_write_set_bytes_in_last_block (berth_archive_api_get()->archive_write_set_bytes_in_last_block)
#define archive_write_set_bytes_per_block (berth_archive_api_get()->archive_write_set_bytes_per_block)
#define archive_write_set_format_pax_restricted (berth_archive_api_get()->archive_write_set_format_pax_restricted)
#endif

#endif
