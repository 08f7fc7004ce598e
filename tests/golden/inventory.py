"""Every example session on AWS's CMU and KMU command reference pages (and the getting-started
and quorum pages that show the same tools), with the golden test that reproduces it or the
reason it is left out. Keys are (page, n): the n-th code block of doc_source/<page>.md in
page_text.PAGE. test_inventory.py checks that every block with a prompt is listed here and
that every test named exists; the closing note's numbers are counted from this table.

Values: ("test", name) reproduced by that test; ("command only", why) a block that shows a
command without its output (not a session); ("left out", why) a session not reproduced.
"""

CMU = "test_cmu_pages"
CMU_KEYS = "test_cmu_pages_keys"
KMU = "test_kmu_pages"
KEYS = "test_kmu_pages_keys"
FAKE_PEM = "test_fake_pem_pages"

INVENTORY = {
    # -- cloudhsm_mgmt_util ------------------------------------------------------------------
    ("cloudhsm_mgmt_util-changePswd", 2): ("test", f"{CMU}.test_change_own_password"),
    ("cloudhsm_mgmt_util-changePswd", 3): ("test", f"{CMU}.test_change_own_password"),
    ("cloudhsm_mgmt_util-changePswd", 4): ("test", f"{CMU}.test_change_another_users_password"),
    ("cloudhsm_mgmt_util-changePswd", 5): ("left out", "the table contradicts its own story and the other "
                                           "pages: the appliance user is `jane` (a cluster's is app_user), alice "
                                           "is a CU on server 0 and a CO on server 1, the narrow column of 2 of 8 tables"),
    ("cloudhsm_mgmt_util-changePswd", 6): ("test", f"{CMU}.test_change_another_users_password"),
    ("cloudhsm_mgmt_util-createUser", 2): ("test", f"{CMU}.test_create_user"),
    ("cloudhsm_mgmt_util-createUser", 3): ("test", f"{CMU}.test_create_user"),
    ("cloudhsm_mgmt_util-createUser", 4): ("test", f"{CMU}.test_create_user"),
    ("cloudhsm_mgmt_util-createUser", 5): ("test", f"{CMU}.test_create_user"),
    ("cloudhsm_mgmt_util-deleteUser", 2): ("test", f"{CMU}.test_delete_user"),
    ("cloudhsm_mgmt_util-deleteUser", 3): ("test", f"{CMU}.test_delete_user"),
    ("cloudhsm_mgmt_util-deleteUser", 4): ("test", f"{CMU}.test_delete_user"),
    ("cloudhsm_mgmt_util-findAllKeys", 2): ("test", f"{CMU_KEYS}.test_find_all_keys"),
    ("cloudhsm_mgmt_util-findAllKeys", 3): ("test", f"{CMU_KEYS}.test_find_all_keys_with_the_key_hash"),
    ("cloudhsm_mgmt_util-findAllKeys", 4): ("left out", "it contradicts the page's session before it: key 11 "
                                            "is owned by user 3 here and by user 6 there"),
    ("cloudhsm_mgmt_util-getAttribute", 2): ("test", f"{CMU_KEYS}.test_get_attribute_and_list_attributes"),
    ("cloudhsm_mgmt_util-getAttribute", 3): ("test", f"{CMU_KEYS}.test_get_attribute_and_list_attributes"),
    ("cloudhsm_mgmt_util-getCert", 1): ("command only", "the syntax"),
    ("cloudhsm_mgmt_util-getCert", 2): ("test", "test_cert_pages.test_cmu_get_cert_in_server_mode"),
    ("cloudhsm_mgmt_util-getCert", 3): ("test", "test_cert_pages.test_cmu_get_cert_in_server_mode"),
    ("cloudhsm_mgmt_util-getHSMInfo", 2): ("test", f"{CMU}.test_get_hsm_info"),
    ("cloudhsm_mgmt_util-getKeyInfo", 2): ("test", f"{CMU_KEYS}.test_get_key_info"),
    ("cloudhsm_mgmt_util-getKeyInfo", 3): ("test", f"{CMU_KEYS}.test_get_key_info"),
    ("cloudhsm_mgmt_util-getKeyInfo", 4): ("test", f"{CMU_KEYS}.test_get_key_info"),
    ("cloudhsm_mgmt_util-getKeyInfo", 5): ("left out", "KMU's findKey -u 4 with `Total number of keys present 8`"
                                           " and `0::7` over ten handles: the counts contradict the list"),
    ("cloudhsm_mgmt_util-getKeyInfo", 6): ("test", f"{KEYS}.test_gen_sym_key_on_the_cmu_pages"),
    ("cloudhsm_mgmt_util-getKeyInfo", 7): ("test", f"{CMU_KEYS}.test_get_key_info"),
    ("cloudhsm_mgmt_util-getting-started", 6): ("test", f"{CMU}.test_getting_started"),
    ("cloudhsm_mgmt_util-getting-started", 8): ("test", f"{CMU}.test_getting_started"),
    ("cloudhsm_mgmt_util-getting-started", 10): ("test", f"{CMU}.test_getting_started"),
    ("cloudhsm_mgmt_util-getting-started", 12): ("test", f"{CMU}.test_getting_started"),
    ("cloudhsm_mgmt_util-getting-started", 14): ("test", f"{CMU}.test_getting_started"),
    ("cloudhsm_mgmt_util-getting-started", 15): ("test", f"{CMU}.test_getting_started"),
    ("cloudhsm_mgmt_util-info", 2): ("test", f"{CMU}.test_info_server"),
    ("cloudhsm_mgmt_util-listAttributes", 2): ("left out", "CMU's listAttributes page shows KMU's `Command:` "
                                               "prompt and a `Description` header no CMU session shows; CMU's "
                                               "listAttributes is reproduced from the getAttribute and "
                                               "setAttribute pages"),
    ("cloudhsm_mgmt_util-listUsers", 2): ("test", f"{CMU}.test_list_users"),
    ("cloudhsm_mgmt_util-loginLogout", 3): ("test", f"{CMU}.test_login_logout"),
    ("cloudhsm_mgmt_util-loginLogout", 4): ("test", f"{CMU}.test_login_logout"),
    ("cloudhsm_mgmt_util-loginLogout", 6): ("test", f"{CMU}.test_login_logout"),
    ("cloudhsm_mgmt_util-quit", 2): ("test", f"{CMU}.test_quit"),
    ("cloudhsm_mgmt_util-reference", 1): ("command only", "`help`, no output shown"),
    ("cloudhsm_mgmt_util-reference", 3): ("command only", "`listUsers`, no output shown"),
    ("cloudhsm_mgmt_util-reference", 4): ("command only", "`quit`, no output shown"),
    ("cloudhsm_mgmt_util-registerQuorumPubKey", 2): ("test", f"{CMU_KEYS}.test_register_quorum_pub_key"),
    ("cloudhsm_mgmt_util-registerQuorumPubKey", 3): ("test", f"{CMU_KEYS}.test_register_quorum_pub_key"),
    ("cloudhsm_mgmt_util-server", 2): ("command only", "the syntax"),
    ("cloudhsm_mgmt_util-server", 3): ("test", f"{CMU}.test_server_mode"),
    ("cloudhsm_mgmt_util-server", 4): ("test", f"{CMU}.test_server_mode"),
    ("cloudhsm_mgmt_util-setAttribute", 2): ("test", f"{KEYS}.test_gen_sym_key_on_the_cmu_pages"),
    ("cloudhsm_mgmt_util-setAttribute", 3): ("test", f"{CMU_KEYS}.test_set_attribute"),
    ("cloudhsm_mgmt_util-setAttribute", 4): ("test", f"{CMU_KEYS}.test_set_attribute"),
    ("cloudhsm_mgmt_util-setAttribute", 5): ("test", f"{CMU_KEYS}.test_set_attribute"),
    ("cloudhsm_mgmt_util-setAttribute", 6): ("test", f"{CMU_KEYS}.test_set_attribute"),
    ("cloudhsm_mgmt_util-shareKey", 2): ("test", f"{CMU_KEYS}.test_share_key"),
    ("cloudhsm_mgmt_util-shareKey", 3): ("test", f"{CMU_KEYS}.test_share_key"),
    ("cloudhsm_mgmt_util-shareKey", 4): ("test", f"{CMU_KEYS}.test_share_key"),
    ("cloudhsm_mgmt_util-shareKey", 5): ("test", f"{CMU_KEYS}.test_share_key"),
    ("cloudhsm_mgmt_util-syncKey", 2): ("command only", "`server 0`, its output left out by the page"),
    ("cloudhsm_mgmt_util-syncKey", 3): ("test", f"{CMU_KEYS}.test_sync_user_and_sync_key"),
    ("cloudhsm_mgmt_util-syncUser", 2): ("command only", "`server 0`, its output left out by the page"),
    ("cloudhsm_mgmt_util-syncUser", 3): ("test", f"{CMU_KEYS}.test_sync_user_and_sync_key"),
    # -- key_mgmt_util -----------------------------------------------------------------------
    ("key_mgmt_util-Error2String", 2): ("test", f"{KMU}.test_error2string"),
    ("key_mgmt_util-Error2String", 3): ("test", f"{KMU}.test_error2string"),
    ("key_mgmt_util-Error2String", 4): ("test", f"{KMU}.test_error2string"),
    ("key_mgmt_util-IsValidKeyHandlefile", 2): ("test", f"{FAKE_PEM}.test_is_valid_key_handle_file"),
    ("key_mgmt_util-IsValidKeyHandlefile", 3): ("test", f"{FAKE_PEM}.test_is_valid_key_handle_file"),
    ("key_mgmt_util-aesWrapUnwrap", 2): ("test", f"{KMU}.test_wrap_and_unwrap"),
    ("key_mgmt_util-aesWrapUnwrap", 3): ("test", f"{KMU}.test_wrap_and_unwrap"),
    ("key_mgmt_util-deleteKey", 2): ("test", f"{KMU}.test_find_key_and_delete_key"),
    ("key_mgmt_util-deleteKey", 3): ("test", f"{KMU}.test_find_key_and_delete_key"),
    ("key_mgmt_util-deleteKey", 4): ("test", f"{KMU}.test_find_key_and_delete_key"),
    ("key_mgmt_util-exSymKey", 2): ("test", f"{KMU}.test_ex_sym_key"),
    ("key_mgmt_util-exSymKey", 3): ("test", f"{KMU}.test_ex_sym_key"),
    ("key_mgmt_util-exSymKey", 6): ("test", f"{KMU}.test_ex_sym_key"),
    ("key_mgmt_util-exSymKey", 8): ("test", f"{KMU}.test_ex_sym_key"),
    ("key_mgmt_util-exSymKey", 9): ("test", f"{KMU}.test_ex_sym_key"),
    ("key_mgmt_util-exportPrivateKey", 2): ("test", f"{KMU}.test_private_and_public_key_files"),
    ("key_mgmt_util-exportPubKey", 2): ("test", f"{KMU}.test_private_and_public_key_files"),
    ("key_mgmt_util-extractMaskedObject", 2): ("left out", "extractMaskedObject is not emulated (masked "
                                               "objects move keys between cloned clusters)"),
    ("key_mgmt_util-findKey", 2): ("test", f"{KEYS}.test_find_key_lists_every_key"),
    ("key_mgmt_util-findKey", 3): ("command only", "no output shown"),
    ("key_mgmt_util-findKey", 4): ("command only", "no output shown"),
    ("key_mgmt_util-findKey", 5): ("command only", "no output shown"),
    ("key_mgmt_util-findKey", 6): ("test", f"{KMU}.test_find_key_and_delete_key"),
    ("key_mgmt_util-findSingleKey", 2): ("test", f"{KMU}.test_find_single_key"),
    ("key_mgmt_util-genDSAKeyPair", 2): ("test", f"{KMU}.test_gen_dsa_key_pair"),
    ("key_mgmt_util-genDSAKeyPair", 3): ("test", f"{KMU}.test_gen_dsa_key_pair"),
    ("key_mgmt_util-genDSAKeyPair", 4): ("test", f"{KMU}.test_gen_dsa_key_pair"),
    ("key_mgmt_util-genDSAKeyPair", 5): ("test", f"{KMU}.test_gen_dsa_key_pair"),
    ("key_mgmt_util-genDSAKeyPair", 6): ("test", f"{KMU}.test_gen_dsa_key_pair_with_quorum"),
    ("key_mgmt_util-genDSAKeyPair", 7): ("test", f"{KMU}.test_gen_dsa_key_pair_with_quorum"),
    ("key_mgmt_util-genECCKeyPair", 2): ("test", f"{KEYS}.test_gen_ecc_key_pair"),
    ("key_mgmt_util-genECCKeyPair", 3): ("left out", "getAttribute -a 512 of an EC private key: `attr cnt 19` "
                                         "counts an OBJ_ATTR_VALUE_LEN the emulator does not keep for private keys"),
    ("key_mgmt_util-genECCKeyPair", 5): ("left out", "a FIPS refusal (0xb3) whose node block says the node "
                                         "is unavailable (0x30000085): the page's two errors contradict"),
    ("key_mgmt_util-genRSAKeyPair", 2): ("test", f"{KEYS}.test_gen_rsa_key_pair"),
    ("key_mgmt_util-genRSAKeyPair", 3): ("left out", "`Attribute size: 801, count: 26` / `Written to:` (one "
                                         "page; three show `got all attributes of size`) and the RSA "
                                         "attribute file's set and widths"),
    ("key_mgmt_util-genRSAKeyPair", 4): ("test", f"{KEYS}.test_gen_rsa_key_pair"),
    ("key_mgmt_util-genSymKey", 2): ("test", f"{KMU}.test_gen_sym_key"),
    ("key_mgmt_util-genSymKey", 3): ("command only", "no output shown"),
    ("key_mgmt_util-genSymKey", 4): ("command only", "no output shown (then a shell loop over singlecmd)"),
    ("key_mgmt_util-genSymKey", 5): ("test", f"{KMU}.test_gen_sym_key_quorum_and_attested"),
    ("key_mgmt_util-genSymKey", 6): ("test", f"{KMU}.test_gen_sym_key"),
    ("key_mgmt_util-genSymKey", 7): ("test", f"{KMU}.test_gen_sym_key"),
    ("key_mgmt_util-genSymKey", 8): ("test", f"{KEYS}.test_all_attributes_to_a_file"),
    ("key_mgmt_util-getAttribute", 2): ("test", f"{KEYS}.test_kmu_list_attributes"),
    ("key_mgmt_util-getAttribute", 3): ("test", f"{KEYS}.test_one_attribute_to_a_file"),
    ("key_mgmt_util-getAttribute", 5): ("test", f"{KEYS}.test_all_attributes_to_a_file"),
    ("key_mgmt_util-getCaviumPrivKey", 2): ("test", f"{FAKE_PEM}.test_get_cavium_priv_key"),
    ("key_mgmt_util-getCert", 2): ("test", "test_cert_pages.test_kmu_get_cert"),
    ("key_mgmt_util-getKeyInfo", 2): ("test", f"{KMU}.test_get_key_info"),
    ("key_mgmt_util-getKeyInfo", 3): ("test", f"{KMU}.test_get_key_info"),
    ("key_mgmt_util-getKeyInfo", 4): ("test", f"{KMU}.test_get_key_info"),
    ("key_mgmt_util-getKeyInfo", 5): ("left out", "findKey -u 4: keys 11 to 262162 are other users' keys "
                                      "shared with user 4 in a story the page does not set up"),
    ("key_mgmt_util-getKeyInfo", 6): ("test", f"{KMU}.test_get_key_info"),
    ("key_mgmt_util-getKeyInfo", 7): ("test", f"{KMU}.test_get_key_info"),
    ("key_mgmt_util-help", 2): ("test", f"{KMU}.test_help"),
    ("key_mgmt_util-imSymKey", 4): ("test", f"{KMU}.test_im_sym_key"),
    ("key_mgmt_util-imSymKey", 5): ("test", f"{KMU}.test_im_sym_key"),
    ("key_mgmt_util-imSymKey", 7): ("test", f"{KEYS}.test_one_attribute_to_a_file"),
    ("key_mgmt_util-imSymKey", 8): ("test", f"{KEYS}.test_one_attribute_to_a_file"),
    ("key_mgmt_util-imSymKey", 9): ("test", f"{KEYS}.test_matching_kcvs"),
    ("key_mgmt_util-imSymKey", 10): ("test", f"{KEYS}.test_matching_kcvs"),
    ("key_mgmt_util-imSymKey", 11): ("test", f"{KMU}.test_im_sym_key"),
    ("key_mgmt_util-imSymKey", 12): ("test", f"{KMU}.test_im_sym_key"),
    ("key_mgmt_util-importPrivateKey", 2): ("test", f"{KMU}.test_private_and_public_key_files"),
    ("key_mgmt_util-importPubKey", 2): ("test", f"{KMU}.test_private_and_public_key_files"),
    ("key_mgmt_util-insertMaskedObject", 2): ("left out", "insertMaskedObject is not emulated"),
    ("key_mgmt_util-listAttributes", 2): ("left out", "the shorter list without the `Description` header: "
                                          "the minority of the three listAttributes outputs"),
    ("key_mgmt_util-listUsers", 2): ("test", f"{KMU}.test_list_users"),
    ("key_mgmt_util-loginHSM", 2): ("test", f"{KMU}.test_login_logout"),
    ("key_mgmt_util-loginHSM", 3): ("test", f"{KMU}.test_login_logout"),
    ("key_mgmt_util-loginHSM", 5): ("test", f"{KMU}.test_login_logout"),
    ("key_mgmt_util-reference", 1): ("command only", "`help`, no output shown"),
    ("key_mgmt_util-reference", 3): ("command only", "`exit`, no output shown"),
    ("key_mgmt_util-setAttribute", 2): ("test", f"{KMU}.test_set_attribute_makes_a_session_key_persistent"),
    ("key_mgmt_util-setAttribute", 3): ("test", f"{KMU}.test_set_attribute_makes_a_session_key_persistent"),
    ("key_mgmt_util-setAttribute", 4): ("test", f"{KMU}.test_set_attribute_makes_a_session_key_persistent"),
    ("key_mgmt_util-setAttribute", 5): ("test", f"{KMU}.test_set_attribute_makes_a_session_key_persistent"),
    ("key_mgmt_util-sign", 2): ("test", f"{KMU}.test_sign_and_verify"),
    ("key_mgmt_util-unwrapKey", 2): ("test", f"{KMU}.test_wrap_and_unwrap"),
    ("key_mgmt_util-unwrapKey", 3): ("test", f"{KMU}.test_wrap_and_unwrap"),
    ("key_mgmt_util-verify", 2): ("test", f"{KMU}.test_sign_and_verify"),
    ("key_mgmt_util-verify", 3): ("test", f"{KMU}.test_sign_and_verify"),
    ("key_mgmt_util-wrapKey", 2): ("test", f"{KMU}.test_wrap_and_unwrap"),
    # files shown with `$ cat` / `$ grep` after a session
    ("key_mgmt_util-genECCKeyPair", 4): ("left out", "the file of genECCKeyPair 3: its OBJ_ATTR_VALUE_LEN "
                                         "(and its label `ecc2` for the key made as `ecc14`)"),
    ("key_mgmt_util-getAttribute", 4): ("test", f"{KEYS}.test_one_attribute_to_a_file"),
    ("key_mgmt_util-getAttribute", 6): ("test", f"{KEYS}.test_all_attributes_to_a_file"),
    ("key_mgmt_util-imSymKey", 6): ("test", f"{KMU}.test_im_sym_key"),
    ("key_mgmt_util-exSymKey", 5): ("left out", "grep over attribute files whose widths contradict each "
                                    "other and the other pages (OBJ_ATTR_EXTRACTABLE 0x00000001 beside "
                                    "OBJ_ATTR_CLASS 0x04) and whose greps do not match their output"),
}

# Sessions on pages other than the command reference that the tests also reproduce.
EXTRA = {
    ("quorum-authentication-crypto-officers", "createUser refused"): f"{CMU}.test_quorum_refusals",
    ("quorum-authentication-crypto-officers", "deleteUser refused"): f"{CMU}.test_quorum_refusals",
}
