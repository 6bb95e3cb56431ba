# Installation and the CMake package that lets another project call
#   find_package(hornet) and link hornet::hornet.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS hornet hornet_common hornet_io hornet_ops hornet_distributed hornet_data hornet_models hornet_config
                hornet_engine hornet_build hornet_system_fmt hornet_warnings hornet_sanitize
        EXPORT hornetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS hornet-train hornet-eval hornet-convert hornet-data RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/hornet/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hornet
        FILES_MATCHING PATTERN "*.h" PATTERN "pch.h" EXCLUDE PATTERN "cli" EXCLUDE)
install(EXPORT hornetTargets NAMESPACE hornet::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hornet)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hornetConfig.cmake.in
    ${PROJECT_BINARY_DIR}/hornetConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hornet)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hornetConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hornetConfig.cmake ${PROJECT_BINARY_DIR}/hornetConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hornet)
