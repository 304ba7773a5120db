/* Keeps a module library non-empty while the module has no sources yet. */
int catena_empty_unit_marker(void);
int
catena_empty_unit_marker(void)
{
    return 0;
}
