UNIT_TESTS += $(B)/regress/test_imsg
$(B)/regress/test_imsg: $(call obj,regress/unit/test_imsg.c $(IMSG_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_BSD)
