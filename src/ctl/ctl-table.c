/* ctl-table.c — text tables for wgdiscoverctl peers. */
#include "config.h"

#include <string.h>

#include "ctl-table.h"

struct CtlTable {
  guint columns;
  GPtrArray *rows;      /* of GStrv; the first is the header */
  guint *min_width;     /* 0: the column is never cut */
};

CtlTable *
ctl_table_new (const gchar *const *headers)
{
  CtlTable *table = g_new0 (CtlTable, 1);

  table->columns = g_strv_length ((gchar **) headers);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  table->min_width = g_new0 (guint, table->columns);
  g_ptr_array_add (table->rows, g_strdupv ((gchar **) headers));
  return table;
}

void
ctl_table_free (CtlTable *table)
{
  g_ptr_array_unref (table->rows);
  g_free (table->min_width);
  g_free (table);
}

void
ctl_table_set_shrinkable (CtlTable *table, guint column, guint min_width)
{
  g_return_if_fail (column < table->columns && min_width > 1);
  table->min_width[column] = min_width;
}

void
ctl_table_add_row (CtlTable *table, const gchar *const *cells)
{
  gchar **row = g_new0 (gchar *, table->columns + 1);

  for (guint c = 0; c < table->columns; c++)
    row[c] = g_strdup (cells[c]);
  g_ptr_array_add (table->rows, row);
}

/* Characters, not bytes: names are UTF-8. */
static guint
text_width (const gchar *text)
{
  return (guint) g_utf8_strlen (text, -1);
}

static void
append_cell (GString *line, const gchar *text, guint width, gboolean last)
{
  guint len = text_width (text);

  if (len > width)
    {
      const gchar *end = g_utf8_offset_to_pointer (text, width - 1);

      g_string_append_len (line, text, end - text);
      g_string_append (line, "…");
      len = width;
    }
  else
    g_string_append (line, text);
  if (!last)
    for (guint i = len; i < width + 2; i++)
      g_string_append_c (line, ' ');
}

gchar *
ctl_table_render (CtlTable *table, guint width)
{
  g_autofree guint *widths = g_new0 (guint, table->columns);
  g_autoptr (GString) text = g_string_new (NULL);
  guint total = 0;

  for (guint r = 0; r < table->rows->len; r++)
    {
      gchar **row = g_ptr_array_index (table->rows, r);

      for (guint c = 0; c < table->columns; c++)
        widths[c] = MAX (widths[c], text_width (row[c]));
    }
  for (guint c = 0; c < table->columns; c++)
    total += widths[c] + (c + 1 < table->columns ? 2 : 0);
  /* Cut the widest shrinkable column by one until it fits or none can. */
  while (total > width)
    {
      guint widest = table->columns;

      for (guint c = 0; c < table->columns; c++)
        if (table->min_width[c] > 0 && widths[c] > table->min_width[c]
            && (widest == table->columns || widths[c] > widths[widest]))
          widest = c;
      if (widest == table->columns)
        break;
      widths[widest]--;
      total--;
    }
  for (guint r = 0; r < table->rows->len; r++)
    {
      gchar **row = g_ptr_array_index (table->rows, r);

      for (guint c = 0; c < table->columns; c++)
        append_cell (text, row[c], widths[c], c + 1 == table->columns);
      g_string_append_c (text, '\n');
    }
  return g_strdup (text->str);
}
