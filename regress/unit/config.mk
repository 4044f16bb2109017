UNIT_TESTS += $(B)/regress/test_config
$(B)/regress/test_config: $(call obj,regress/unit/test_config.c \
	innernetd/config.c innernetd/util.c innernetd/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_YAML) $(LIB_SODIUM) $(LIB_BSD)
