/* archive_dl.h: libarchive for `berth cp`, loaded with dlopen when cp runs.
 *
 * Linked in, libarchive (with libxml2, ICU and libstdc++ behind it) adds
 * ~3.5 ms to every start of the CLI, whose whole `berth run --rm` budget
 * is 15 ms; only cp needs it. Include this after <archive.h> and
 * <archive_entry.h>, in the one file that uses libarchive: each function
 * used there is named below, and its calls go through the loaded table. */
#ifndef BERTH_CLI_ARCHIVE_DL_H
#define BERTH_CLI_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#include "base/error.h"

#define BERTH_ARCHIVE_FUNCS(X)                                                                    \
	X(archive_entry_clear)                                                                    \
	X(archive_entry_copy_hardlink)                                                            \
	X(archive_entry_copy_pathname)                                                            \
	X(archive_entry_copy_sourcepath)                                                          \
	X(archive_entry_filetype)                                                                 \
	X(archive_entry_free)                                                                     \
	X(archive_entry_hardlink)                                                                 \
	X(archive_entry_linkify)                                                                  \
	X(archive_entry_linkresolver_free)                                                        \
	X(archive_entry_linkresolver_new)                                                         \
	X(archive_entry_linkresolver_set_strategy)                                                \
	X(archive_entry_mtime)                                                                    \
	X(archive_entry_new)                                                                      \
	X(archive_entry_pathname)                                                                 \
	X(archive_entry_set_mtime)                                                                \
	X(archive_entry_size)                                                                     \
	X(archive_entry_unset_atime)                                                              \
	X(archive_entry_unset_birthtime)                                                          \
	X(archive_entry_unset_ctime)                                                              \
	X(archive_error_string)                                                                   \
	X(archive_format)                                                                         \
	X(archive_read_data)                                                                      \
	X(archive_read_data_block)                                                                \
	X(archive_read_disk_descend)                                                              \
	X(archive_read_disk_new)                                                                  \
	X(archive_read_disk_open)                                                                 \
	X(archive_read_disk_set_behavior)                                                         \
	X(archive_read_disk_set_symlink_physical)                                                 \
	X(archive_read_free)                                                                      \
	X(archive_read_new)                                                                       \
	X(archive_read_next_header)                                                               \
	X(archive_read_next_header2)                                                              \
	X(archive_read_open_fd)                                                                   \
	X(archive_read_support_format_tar)                                                        \
	X(archive_write_close)                                                                    \
	X(archive_write_data)                                                                     \
	X(archive_write_data_block)                                                               \
	X(archive_write_disk_new)                                                                 \
	X(archive_write_disk_set_options)                                                         \
	X(archive_write_finish_entry)                                                             \
	X(archive_write_free)                                                                     \
	X(archive_write_header)                                                                   \
	X(archive_write_new)                                                                      \
	X(archive_write_open2)                                                                    \
	X(archive_write_set_bytes_per_block)                                                      \
	X(archive_write_set_format_pax_restricted)

struct berth_archive_api {
#define BERTH_ARCHIVE_MEMBER(f) __typeof__(f) *f;
	BERTH_ARCHIVE_FUNCS(BERTH_ARCHIVE_MEMBER)
#undef BERTH_ARCHIVE_MEMBER
};

extern struct berth_archive_api berth_archive_api;

/* Loads libarchive and fills berth_archive_api (once; later calls return
 * at once). EINVAL "cannot load libarchive: ..." when it is missing. */
int berth_archive_dl_load(berth_error_t *err);

/* From here on, every listed function is called through the table
 * (archive_dl.c itself defines BERTH_ARCHIVE_DL_LOADER to see the names). */
#ifndef BERTH_ARCHIVE_DL_LOADER
#define archive_entry_clear			 berth_archive_api.archive_entry_clear
#define archive_entry_copy_hardlink		 berth_archive_api.archive_entry_copy_hardlink
#define archive_entry_copy_pathname		 berth_archive_api.archive_entry_copy_pathname
#define archive_entry_copy_sourcepath		 berth_archive_api.archive_entry_copy_sourcepath
#define archive_entry_filetype			 berth_archive_api.archive_entry_filetype
#define archive_entry_free			 berth_archive_api.archive_entry_free
#define archive_entry_hardlink			 berth_archive_api.archive_entry_hardlink
#define archive_entry_linkify			 berth_archive_api.archive_entry_linkify
#define archive_entry_linkresolver_free		 berth_archive_api.archive_entry_linkresolver_free
#define archive_entry_linkresolver_new		 berth_archive_api.archive_entry_linkresolver_new
#define archive_entry_linkresolver_set_strategy berth_archive_api.archive_entry_linkresolver_set_strategy
#define archive_entry_mtime			 berth_archive_api.archive_entry_mtime
#define archive_entry_new			 berth_archive_api.archive_entry_new
#define archive_entry_pathname			 berth_archive_api.archive_entry_pathname
#define archive_entry_set_mtime			 berth_archive_api.archive_entry_set_mtime
#define archive_entry_size			 berth_archive_api.archive_entry_size
#define archive_entry_unset_atime		 berth_archive_api.archive_entry_unset_atime
#define archive_entry_unset_birthtime		 berth_archive_api.archive_entry_unset_birthtime
#define archive_entry_unset_ctime		 berth_archive_api.archive_entry_unset_ctime
#define archive_error_string			 berth_archive_api.archive_error_string
#define archive_format				 berth_archive_api.archive_format
#define archive_read_data			 berth_archive_api.archive_read_data
#define archive_read_data_block			 berth_archive_api.archive_read_data_block
#define archive_read_disk_descend		 berth_archive_api.archive_read_disk_descend
#define archive_read_disk_new			 berth_archive_api.archive_read_disk_new
#define archive_read_disk_open			 berth_archive_api.archive_read_disk_open
#define archive_read_disk_set_behavior		 berth_archive_api.archive_read_disk_set_behavior
#define archive_read_disk_set_symlink_physical	 berth_archive_api.archive_read_disk_set_symlink_physical
#define archive_read_free			 berth_archive_api.archive_read_free
#define archive_read_new			 berth_archive_api.archive_read_new
#define archive_read_next_header		 berth_archive_api.archive_read_next_header
#define archive_read_next_header2		 berth_archive_api.archive_read_next_header2
#define archive_read_open_fd			 berth_archive_api.archive_read_open_fd
#define archive_read_support_format_tar		 berth_archive_api.archive_read_support_format_tar
#define archive_write_close			 berth_archive_api.archive_write_close
#define archive_write_data			 berth_archive_api.archive_write_data
#define archive_write_data_block		 berth_archive_api.archive_write_data_block
#define archive_write_disk_new			 berth_archive_api.archive_write_disk_new
#define archive_write_disk_set_options		 berth_archive_api.archive_write_disk_set_options
#define archive_write_finish_entry		 berth_archive_api.archive_write_finish_entry
#define archive_write_free			 berth_archive_api.archive_write_free
#define archive_write_header			 berth_archive_api.archive_write_header
#define archive_write_new			 berth_archive_api.archive_write_new
#define archive_write_open2			 berth_archive_api.archive_write_open2
#define archive_write_set_bytes_per_block	 berth_archive_api.archive_write_set_bytes_per_block
#define archive_write_set_format_pax_restricted berth_archive_api.archive_write_set_format_pax_restricted
#endif

#endif
