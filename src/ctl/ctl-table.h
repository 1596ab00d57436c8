/* ctl-table.h — a text table that fits a width: columns as wide as their
 * widest cell, and when the whole is too wide, the columns marked as
 * shrinkable cut with "…" until it fits. */
#pragma once

#include <glib.h>

typedef struct CtlTable CtlTable;

/* headers: the column titles, NULL-terminated. */
CtlTable *ctl_table_new (const gchar *const *headers);
void ctl_table_free (CtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlTable, ctl_table_free)

/* Column may be cut down to min_width characters to make the table fit. */
void ctl_table_set_shrinkable (CtlTable *table, guint column, guint min_width);
/* cells: one per column; copied. */
void ctl_table_add_row (CtlTable *table, const gchar *const *cells);
/* The table, one line per row after the header, each line at most
 * width characters if the shrinkable columns allow. */
gchar *ctl_table_render (CtlTable *table, guint width);
